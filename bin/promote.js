#!/usr/bin/env node
// The only place that exits the process: everything below returns an exit code.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  // dist/ is built by `npm ci` (prepare); a missing one is a setup step, not a crash.
  process.stderr.write(`promote: not built yet (no ${main.pathname}): run npm ci, or npm run build, in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
const { stopOnBrokenPipe } = await import('../dist/cli/broken-pipe.js');
const { shieldChildrenFromTerminalInterrupt } = await import('../dist/cli/child-shield.js');
const cli = await import('../dist/cli/main.js');

shieldChildrenFromTerminalInterrupt(process.env);
stopOnBrokenPipe([process.stdout, process.stderr]);
process.exitCode = await cli.main(process.argv.slice(2));
