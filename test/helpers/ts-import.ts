/**
 * How a test runs TypeScript in a child Node process.
 */
import { fileURLToPath } from 'node:url';

/**
 * The `--import` that runs TypeScript in a child Node process: the suite's own loader when `npm test`
 * compiled the checkout ahead (scripts/test-runner/, named by LUCERNA_TEST_JS_DIR), tsx otherwise.
 *
 * @example
 * ```ts
 * spawnSync(process.execPath, ['--import', tsImport, 'scripts/results-bias.ts']);
 * ```
 */
export const tsImport = process.env.LUCERNA_TEST_JS_DIR ? fileURLToPath(new URL('../../scripts/test-runner/register.mjs', import.meta.url)) : 'tsx';
