/**
 * The files `check` writes: counterexample traces, and the checks that the
 * paths can be written before a search starts (a violation found is never
 * lost to a bad path: a failed write falls back to the temporary directory).
 */
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CheckReport } from '../check/check.js';
import { UsageError } from '../errors.js';

export const DEFAULT_TRACE_OUT = './apfcheck-trace.json';
export const DEFAULT_TRACE_DIR = 'traces';

/** A directory the tool can create files in, or a usage error saying why not (checked before a search starts). */
function writableDirectory(dir: string, what: string): void {
  if (!existsSync(dir)) throw new UsageError(`${what}: the directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${what}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${what}: the directory ${dir} is not writable`);
  }
}

/** `--trace-out FILE`: a file apfcheck can write, checked before the search. */
export function checkTraceOut(file: string): void {
  if (file === '-') throw new UsageError('--trace-out - : a trace goes to a file (the report is what goes to stdout); name one');
  checkOutputFile(file, '--trace-out');
}

/** An output file in an existing writable directory, checked before the search. */
export function checkOutputFile(file: string, flag: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: that is a directory; name a file in it`);
  writableDirectory(dirname(file), `${flag} ${file}`);
}

/** `--trace-dir DIR`: an existing writable directory, or one level to create in a writable one. */
export function checkTraceDir(dir: string): void {
  if (existsSync(dir)) writableDirectory(dir, `--trace-dir ${dir}`);
  else writableDirectory(dirname(dir), `--trace-dir ${dir}`);
}

/** Fallback trace files written by this process (numbers their names). */
let fallbacks = 0;

/**
 * Writes a counterexample. The path was checked before the search; if writing still fails (the file system changed,
 * or a path like /proc/x that no check can foresee), the trace goes to the temporary directory, and stderr says where:
 * a violation found is never thrown away.
 */
export function writeTrace(report: CheckReport, file: string): string {
  const text = `${JSON.stringify(report.trace, null, 2)}\n`;
  try {
    writeFileSync(file, text);
    return file;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    fallbacks += 1;
    const fallback = join(tmpdir(), `apfcheck-${process.pid}-${fallbacks}.json`);
    try {
      writeFileSync(fallback, text);
    } catch {
      throw new UsageError(`cannot write the trace to ${file} (${code}) nor to ${fallback}`);
    }
    process.stderr.write(`apfcheck: cannot write the trace to ${file} (${code}); wrote it to ${fallback} instead\n`);
    return fallback;
  }
}

/**
 * Creates the --trace-dir directory (one level; checked before the search) and returns it; if that still fails
 * (e.g. /proc/x), a directory in the temporary directory instead, named on stderr: the table is never lost.
 */
export function ensureDirectory(dir: string): string {
  if (existsSync(dir)) return dir;
  try {
    mkdirSync(dir);
    return dir;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const fallback = mkdtempSync(join(tmpdir(), 'apfcheck-traces-'));
    process.stderr.write(`apfcheck: cannot create the trace directory ${dir} (${code}); writing the traces to ${fallback} instead\n`);
    return fallback;
  }
}
