#!/usr/bin/env node
// The only place that exits the process: everything below returns an exit code.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
