import { mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes `files` into `dir` the way kubelet's atomic writer lays out a ConfigMap volume, and on later calls swaps
 * them in the way it updates one: the files go into a new hidden timestamped folder, a `..data_tmp` link to it is
 * renamed over `..data` (one atomic rename), links for new names are added (`name -> ..data/name`), and the old
 * folder is removed unless `keepOld`. `mtime` gives the new files that modification time (a same-size, same-mtime
 * swap). Returns the new timestamped folder's name.
 */
export function writeConfigMap(
  dir: string,
  files: Record<string, string>,
  options: { keepOld?: boolean; mtime?: Date } = {},
): string {
  const stamp = mkdtempSync(path.join(dir, `..${new Date().toISOString().replace(/[-:T]/g, '_').slice(0, 19)}.`));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(stamp, name), text);
    if (options.mtime) utimesSync(path.join(stamp, name), options.mtime, options.mtime);
  }
  const data = path.join(dir, '..data');
  let old: string | null = null;
  try {
    old = readlinkSync(data);
  } catch {
    // The first write: no ..data yet.
  }
  symlinkSync(path.basename(stamp), path.join(dir, '..data_tmp'));
  renameSync(path.join(dir, '..data_tmp'), data);
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(path.join('..data', name), path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  if (old !== null && !options.keepOld) rmSync(path.join(dir, old), { recursive: true, force: true });
  return path.basename(stamp);
}
