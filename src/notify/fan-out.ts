/**
 * One event stream, many sinks. A sink is an observer: the terminal breaking, Slack
 * timing out or a full disk under the journal must never change what the promotion
 * does, so every failure goes to `onSinkError` and the other sinks still get the event.
 */
import type { RunEvent, RunSink } from '../events/run-events.js';

/**
 * Synchronous sinks are called synchronously, in order, so the journal line is on disk
 * when write() returns. An async sink gets its next event only after its previous
 * write settled, so each sink sees the events in order. write() and close() return a
 * promise (that never rejects) only while some sink is still busy.
 */
export function fanOut(sinks: readonly RunSink[], onSinkError: (sinkIndex: number, error: unknown) => void): RunSink {
  const busy: (Promise<void> | undefined)[] = sinks.map(() => undefined);

  const report = (index: number, error: unknown): void => {
    try {
      onSinkError(index, error);
    } catch {
      // A reporter that throws is one more broken observer; the run carries on.
    }
  };

  const call = (index: number, deliver: () => void | Promise<void>): Promise<void> | undefined => {
    try {
      const result = deliver();
      if (isThenable(result)) return Promise.resolve(result).then(() => undefined, (error: unknown) => report(index, error));
    } catch (error) {
      report(index, error);
    }
    return undefined;
  };

  const dispatch = (deliver: (sink: RunSink) => void | Promise<void>): void | Promise<void> => {
    sinks.forEach((sink, index) => {
      const previous = busy[index];
      const next = previous ? previous.then(() => call(index, () => deliver(sink))) : call(index, () => deliver(sink));
      if (!next) return;
      busy[index] = next;
      void next.then(() => {
        if (busy[index] === next) busy[index] = undefined;
      });
    });
    const pending = busy.filter((p): p is Promise<void> => p !== undefined);
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  };

  return {
    write: (event: RunEvent) => dispatch((sink) => sink.write(event)),
    close: () => dispatch((sink) => sink.close?.()),
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
