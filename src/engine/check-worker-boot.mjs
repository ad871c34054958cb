// Worker-thread bootstrap: loader hooks are per thread, so register tsx here, then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./check-worker.ts');
