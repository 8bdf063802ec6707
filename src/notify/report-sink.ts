/**
 * Writes the run's report (runs/run-report.ts) when the summary arrives: the file a
 * workflow's merge job reads with `promote report --merge`. Written once, atomically,
 * so a merge never reads half a report.
 */
import { writeFileAtomicSync } from '../atomic-write.js';
import type { RunEvent, RunSink } from '../events/run-events.js';
import { buildRunReport, type BuildReportOptions } from '../runs/run-report.js';

export function createReportSink(file: string, options: BuildReportOptions): RunSink {
  const events: RunEvent[] = [];
  return {
    write(event) {
      // Only what the report reads: a fleet of 10 000 tenants sends many more events than that.
      const type = (event as { type: string }).type;
      if (type === 'tenant' || type === 'summary' || type === 'run.started') events.push(event);
      if (event.type === 'summary') writeFileAtomicSync(file, `${JSON.stringify(buildRunReport(events, options), null, 2)}\n`);
    },
  };
}
