// Worker bootstrap: the sources are TypeScript run through tsx (as bin/tessera.js does), and a
// worker thread starts without the parent's loaders.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
