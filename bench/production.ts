/**
 * The benchmark measures what `npm start` runs: the TypeScript build in dist/, loaded by plain Node. Loading the
 * sources through tsx instead would measure its transform too (esbuild's keepNames wraps every closure created
 * at run time in a `__name` call, which costs the planned executor almost half its time on `_entities`).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs `tsc -p tsconfig.build.json` (what `npm run build` does); throws when it fails. */
export function buildDist(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the TypeScript build failed');
}

/** The built server's entry point, for `node <it>`. */
export const distMain = fileURLToPath(new URL('../dist/server/main.js', import.meta.url));

/**
 * The built counterpart of a source module, typed as the source.
 *
 * @example
 * const { loadArchive } = await fromDist<typeof import('../src/archive/index.js')>('archive/index.js');
 */
export async function fromDist<T>(module: string): Promise<T> {
  return (await import(pathToFileURL(`${root}/dist/${module}`).href)) as T;
}
