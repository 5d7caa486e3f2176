import { buildArchive } from '../../src/archive/build.js';
import type { Archive } from '../../src/archive/types.js';
import { parseCompact } from '../../src/parser/index.js';

/** A transcript file's text from a few turns: [start, end, speaker, text]. */
export function transcript(
  front: { series: string; episode: number; chunk: number; fps?: number; title?: string },
  turns: readonly [string, string, string, string][],
): string {
  const head = Object.entries(front)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  return `---\n${head}\n---\n\n${turns.map(([a, b, who, text]) => `${a} - ${b}\n${who}\n${text}\n`).join('\n')}`;
}

/** An archive built in memory from `{ path: text }`; throws if any file has an error. */
export async function archiveOf(files: Record<string, string>): Promise<Archive> {
  const results = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, text]) => parseCompact(Buffer.from(text, 'utf8'), path, { maxBytes: 10 * 1024 * 1024 }));
  const archive = await buildArchive(results);
  const errors = archive.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(JSON.stringify(errors));
  return archive;
}
