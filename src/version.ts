/** apfcheck's version, read from package.json (the one place it is written): `--version`, and the traces it writes. */
import { readFileSync } from 'node:fs';

// src/version.ts in the sources, dist/src/version.js in the compiled package: package.json is one level further up there
const packageJson = new URL(import.meta.url.endsWith('.ts') ? '../package.json' : '../../package.json', import.meta.url);

export const VERSION = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
