/** Process entry point: runs the CLI on this process's arguments and sets the exit code. */
import { main } from './main.js';

// a closed pipe (`apfcheck ... | head`) ends the output quietly, as for any Unix tool
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2));
