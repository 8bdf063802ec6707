/**
 * `promote --to production | head -7`: once head has its lines, every write
 * fails with EPIPE, and an unhandled stream error would kill promote in the
 * middle of a step, holding its locks. A broken pipe is instead a request to
 * stop: nothing more is written to that stream (the errors are swallowed),
 * and a running promotion gets the same SIGINT as Ctrl-C, so it stops at a
 * safe point, releases its locks and exits 130. A command with no SIGINT
 * listener (status, plan) finishes quietly: a reader that left needs no more.
 */
type ErrorSource = { on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown };

export function stopOnBrokenPipe(streams: readonly ErrorSource[], requestStop: () => void = interruptSelf): void {
  let stopping = false;
  for (const stream of streams) {
    stream.on('error', (e) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      if (stopping) return;
      stopping = true;
      requestStop();
    });
  }
}

function interruptSelf(): void {
  if (process.listenerCount('SIGINT') > 0) process.kill(process.pid, 'SIGINT');
}
