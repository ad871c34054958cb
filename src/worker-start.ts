/**
 * Starts a worker thread on a module beside the caller, from the compiled
 * package and from the TypeScript sources alike. Compiled (dist/, what
 * `apfcheck` runs), the worker runs `NAME.js` directly: no tsx needed. From
 * the sources (the tests, `npm start`), it runs `NAME.ts` through
 * worker-boot.mjs, which registers tsx in the new thread first (loader hooks
 * are per thread).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker on the module `name` (without extension) in the directory of `caller` (the caller's import.meta.url). */
export function startWorker(caller: string, name: string, options: WorkerOptions & { readonly workerData: object }): Worker {
  if (!caller.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, caller), options);
  const entry = new URL(`./${name}.ts`, caller).href;
  return new Worker(new URL('./worker-boot.mjs', import.meta.url), { ...options, workerData: { ...options.workerData, entry } });
}
