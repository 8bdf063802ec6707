import { it } from 'vitest';
import { createPlainSink } from '../../../src/notify/plain-sink.js';
import { successRun, rollbackRun, recordingOutput } from './runs.js';
it('probe', () => {
  for (const run of [successRun, rollbackRun]) {
    const o = recordingOutput(false);
    const s = createPlainSink(o);
    run.forEach((e) => s.write(e));
    console.log(o.lines.join('\n'));
  }
});
