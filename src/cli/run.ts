/** Process entry point: runs the CLI on this process's arguments and sets the exit code. */
import { main } from './main.js';

process.exitCode = main(process.argv.slice(2));
