#!/usr/bin/env node
// The only place that exits the process: everything below returns an exit code.
import { stopOnBrokenPipe } from '../dist/cli/broken-pipe.js';
import { shieldChildrenFromTerminalInterrupt } from '../dist/cli/child-shield.js';
import { main } from '../dist/cli/main.js';

shieldChildrenFromTerminalInterrupt(process.env);
stopOnBrokenPipe([process.stdout, process.stderr]);
process.exitCode = await main(process.argv.slice(2));
