import { describe, expect, it } from 'vitest';
import { noBookmarkAdvice } from '../../../src/engine/rollback-advice.js';
import type { Migration } from '../../../src/migrations/types.js';

function migration(name: string, withRollback: boolean): Migration {
  const [id, slug] = name.replace('.sql', '').split('_') as [string, string];
  const file = { name, path: `migrations/${name}`, sql: 'SELECT 1;', checksum: 'x' } as unknown as Migration;
  return { ...file, number: Number(id), id, slug, ...(withRollback ? { rollback: { ...file, name: `${id}_${slug}.rollback.sql` } } : {}) } as Migration;
}

const base = { environment: 'staging', bookmarkConfigured: false, pipelineFile: 'pipeline/pipeline.yaml', hasWorker: true };

describe('noBookmarkAdvice', () => {
  it('names the policy, not the rollback files, when time travel has no bookmark and the files exist', () => {
    const a = noBookmarkAdvice({ ...base, policy: 'time-travel', applied: [migration('0001_a.sql', true), migration('0002_b.sql', true)] });
    expect(a.message).toBe(
      "staging cannot be rolled back: rollback.database is time-travel, and its stage in pipeline/pipeline.yaml has no bookmark: true. The database keeps this run's migrations (0001_a.sql, 0002_b.sql); the Worker was left as it is",
    );
    expect(a.hint).toContain('set bookmark: true on the staging stage, or rollback.database: auto to use the rollback files these migrations have');
    expect(a.hint).not.toContain('add rollback files');
    expect(`${a.message} ${a.hint}`).not.toMatch(/ {2}/);
  });

  it('under auto, names the migrations without a rollback file', () => {
    const a = noBookmarkAdvice({ ...base, policy: 'auto', hasWorker: false, applied: [migration('0001_a.sql', true), migration('0002_b.sql', false)] });
    expect(a.message).toBe(
      "staging cannot be rolled back: rollback.database is auto, its stage in pipeline/pipeline.yaml has no bookmark: true, and 0002_b.sql has no rollback file. The database keeps this run's migrations (0001_a.sql, 0002_b.sql)",
    );
    expect(a.hint).toContain('or add rollback files for 0002_b.sql');
  });

  it('says when a configured bookmark was not taken', () => {
    const a = noBookmarkAdvice({ ...base, policy: 'time-travel', bookmarkConfigured: true, applied: [migration('0001_a.sql', false)] });
    expect(a.message).toContain('rollback.database is time-travel, and no bookmark was taken before it migrated');
    expect(`${a.message} ${a.hint}`).not.toMatch(/ {2}/);
  });
});
