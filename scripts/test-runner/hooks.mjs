/**
 * Module hooks (registered by ./register.mjs). A `.ts` file loads as the JavaScript that
 * ./compile.mjs made ahead, under its own file URL (so import.meta.url is unchanged); one with no
 * compiled copy, or edited since, is compiled here with esbuild. A relative `.js` import from a
 * `.ts` file resolves to the `.ts` file beside it when there is one, as TypeScript's NodeNext
 * resolution writes them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let root = '';
let outDir = '';

/** @param {{ root: string, outDir: string }} data */
export function initialize(data) {
  root = data.root;
  outDir = data.outDir;
}

const tsFile = /\.([cm]?)ts$/;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent !== undefined && tsFile.test(parent) && /^\.{0,2}\//.test(specifier) && /\.[cm]?js$/.test(specifier)) {
    const candidate = new URL(specifier.replace(/js$/, 'ts'), parent);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

/** The compiled copy of `path`, or undefined when there is none or the source is newer. */
function compiledCopy(path) {
  if (outDir === '' || !path.startsWith(`${root}/`)) return undefined;
  const compiled = `${outDir}/${path.slice(root.length + 1).replace(tsFile, '.$1js')}`;
  try {
    if (statSync(compiled).mtimeMs < statSync(path).mtimeMs) return undefined;
    return readFileSync(compiled, 'utf8');
  } catch {
    return undefined;
  }
}

let esbuild;

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !tsFile.test(url)) return next(url, context);
  const path = fileURLToPath(url);
  let source = compiledCopy(path);
  if (source === undefined) {
    esbuild ??= await import('esbuild');
    const options = { loader: 'ts', format: 'esm', platform: 'node', target: 'node20', sourcefile: path, sourcemap: 'inline' };
    source = (await esbuild.transform(readFileSync(path, 'utf8'), options)).code;
  }
  return { format: 'module', source, shortCircuit: true };
}
