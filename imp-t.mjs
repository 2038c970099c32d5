import {register} from 'node:module';
process.env.NODE_ENV = 'production';
const t0 = performance.now();
if (process.env.PRE) { await Promise.all([import('react'), import('nanostores'), import('@nanostores/react'), import('./dist/source/stores/session-stores.js'), import('./dist/source/stores/controls.js')]); }
const t1 = performance.now();
if (process.env.HOOK) register('./dist/source/ui/ink-caches.js', import.meta.url);
const t2 = performance.now();
await Promise.all([import('./dist/source/ui/render.js'), import('./dist/source/stores/session-stores.js')]);
const t3 = performance.now();
console.log(`PRE=${process.env.PRE ?? ''} HOOK=${process.env.HOOK ?? ''} pre ${(t1 - t0).toFixed(0)} register ${(t2 - t1).toFixed(0)} rest ${(t3 - t2).toFixed(0)} total ${(t3 - t0).toFixed(0)}`);
