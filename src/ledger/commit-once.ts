/**
 * Sends one transaction so that it commits at most once. Over HTTP a D1 batch
 * can commit and lose its answer (OutcomeUnknownError); the ledger rows written
 * in the same transaction then tell whether it committed, and only a
 * transaction that did not is sent again. Migrations, seeds and undos all go
 * through here, each with its own ledger question.
 */
import { OutcomeUnknownError } from '../errors.js';

/** How often a transaction whose outcome was unknown (and turned out not committed) is sent again. */
export const MAX_RESENDS = 3;

/**
 * `send` throws what the caller wants said of a failed transaction (e.g. a
 * MigrationBatchError for D1's SQL error); only an unknown outcome is retried,
 * and only after `committed()` said no.
 */
export async function commitOnce(send: () => Promise<unknown>, committed: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await send();
      return;
    } catch (e) {
      if (!(e instanceof OutcomeUnknownError) || attempt >= MAX_RESENDS) throw e;
      if (await committed()) return;
    }
  }
}
