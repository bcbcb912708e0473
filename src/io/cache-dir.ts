/**
 * Where Lucerna keeps files it can rebuild (the derived softmax variant of the bundled model, the
 * compile cache): the user's cache folder, following the XDG Base Directory specification
 * (https://specifications.freedesktop.org/basedir-spec/latest/).
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The user's Lucerna cache folder: `$LUCERNA_CACHE_DIR` when set, else `$XDG_CACHE_HOME/lucerna`
 * (an absolute XDG path only, as the specification requires), else `~/.cache/lucerna`.
 *
 * @example
 * ```ts
 * userCacheDir({ XDG_CACHE_HOME: '/tmp/xdg' }); // '/tmp/xdg/lucerna'
 * ```
 */
export function userCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const own = env.LUCERNA_CACHE_DIR;
  if (own) return own;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'lucerna');
  return join(homedir(), '.cache', 'lucerna');
}
