#!/usr/bin/env node
// The only place that exits the process: everything below returns an exit code.
import { shieldChildrenFromTerminalInterrupt } from '../dist/cli/child-shield.js';
import { main } from '../dist/cli/main.js';

shieldChildrenFromTerminalInterrupt(process.env);
process.exitCode = await main(process.argv.slice(2));
