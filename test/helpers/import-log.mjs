// Preload (`node --import ./test/helpers/import-log.mjs`): records every module the process loads
// into the file named by LUCERNA_IMPORT_LOG, one per line: ES modules through the loader hooks,
// CommonJS `require` (which those hooks do not see on Node 20; onnxruntime-node is loaded that
// way) by wrapping the CommonJS resolver. Used to prove what start-up loads.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.LUCERNA_IMPORT_LOG;
register('./import-log-hooks.mjs', import.meta.url, { data: { file } });

if (file) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (...args) {
    const path = resolve.apply(this, args);
    if (path.startsWith('/')) appendFileSync(file, `${pathToFileURL(path).href}\n`);
    return path;
  };
}
