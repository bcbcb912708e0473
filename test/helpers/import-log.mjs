// Preload (`node --import ./test/helpers/import-log.mjs`): records every module URL the process
// loads into the file named by LUCERNA_IMPORT_LOG, one per line. Used to prove what start-up loads.
import { register } from 'node:module';

register('./import-log-hooks.mjs', import.meta.url, { data: { file: process.env.LUCERNA_IMPORT_LOG } });
