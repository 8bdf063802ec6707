/**
 * The identity of a change: the migration set (names and checksums) plus the
 * Worker build. Staging-first means production is entered only after staging
 * verified exactly this value, observed from staging itself.
 */
import { createHash } from 'node:crypto';

export interface ChangeParts {
  databases: { binding: string; migrations: { name: string; checksum?: string }[] }[];
  /** Worker code hash, when the environment has a Worker. */
  codeHash?: string;
}

export function changeFingerprint(parts: ChangeParts): string {
  const lines = parts.databases
    .flatMap((d) => d.migrations.map((m) => `${d.binding}:${m.name}:${m.checksum ?? '?'}`))
    .sort();
  if (parts.codeHash) lines.push(`worker:${parts.codeHash}`);
  return `c-${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 12)}`;
}

/** One id for the whole run, over every stage's expected fingerprint. */
export function runChangeId(expected: readonly string[]): string {
  return `c-${createHash('sha256').update(expected.join('\n')).digest('hex').slice(0, 12)}`;
}
