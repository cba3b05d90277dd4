// Entry of the local stack's handler workers (workerProtocol.ts): registers tsx's loader in the worker, then runs the
// TypeScript worker, as `npm start` runs the sources. (`--import tsx` in a worker's execArgv does not reach its
// entry module on Node 20, and the test runner's own transform does not reach worker threads.)
import { register } from 'tsx/esm/api';

register();
await import('./handlerWorker.ts');
