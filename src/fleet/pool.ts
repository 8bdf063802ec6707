/**
 * A small worker pool: at most `concurrency` tasks at once, started in order,
 * and `mayStart` asked before each start (maxFailures, Ctrl-C). Twenty lines of
 * our own instead of p-limit: p-limit has no "stop starting" hook, and this is the
 * whole of what a fleet needs (no queue priorities, no timeouts).
 */
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
  mayStart: () => boolean = () => true,
): Promise<{ results: (R | undefined)[]; started: number }> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && mayStart()) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return { results, started: next };
}
