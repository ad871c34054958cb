#!/usr/bin/env node
// apfcheck command: runs the compiled CLI in dist/ (`npm run build`; `npm ci`, `npm pack` and a git install build it).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('apfcheck: dist/ is not built: run npm run build (npm ci runs it, unless scripts are ignored)\n');
  process.exit(2);
}
await import(entry.href);
