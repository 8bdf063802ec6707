import { randomBytes } from 'node:crypto';

/** Sortable by time, unique across machines: r-20261121T031500Z-a1b2c3. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `r-${stamp}-${randomBytes(3).toString('hex')}`;
}
