/**
 * `npm run validate -- [--strict] [DIR]`: check a folder of transcripts the way the server would load it.
 * Prints `path:line: error|warning: message [CODE]` per diagnostic, then a summary line. Exits 1 on any
 * error (with --strict, on any warning too), 2 on bad usage or an unreadable folder, else 0.
 */
import { pathToFileURL } from 'node:url';

import { loadArchive } from '../archive/index.js';
import { formatDiagnostic } from '../parser/index.js';

export interface ValidateResult {
  readonly exitCode: number;
  readonly lines: string[];
}

const USAGE = 'usage: npm run validate -- [--strict] [--max-bytes N] [DIR]   (DIR defaults to DATA_DIR or ./data)';

/**
 * Runs the validator; returns what to print and the exit code instead of exiting, so it can be tested.
 *
 * @example
 * const { exitCode, lines } = await validate(['--strict', 'data']);
 */
export async function validate(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ValidateResult> {
  let strict = false;
  let maxBytes: number | undefined;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--strict') strict = true;
    else if (arg === '--max-bytes') {
      maxBytes = Number(argv[++i]);
      if (!Number.isInteger(maxBytes) || maxBytes < 1) return { exitCode: 2, lines: [USAGE] };
    } else if (arg === '--help' || arg === '-h') return { exitCode: 0, lines: [USAGE] };
    else if (arg.startsWith('-')) return { exitCode: 2, lines: [`unknown option ${arg}`, USAGE] };
    else dirs.push(arg);
  }
  if (dirs.length > 1) return { exitCode: 2, lines: [USAGE] };
  const dir = dirs[0] ?? env.DATA_DIR ?? 'data';
  let archive;
  try {
    archive = await loadArchive(dir, maxBytes === undefined ? {} : { maxBytes });
  } catch (error) {
    return { exitCode: 2, lines: [`cannot read ${dir}: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const { stats } = archive;
  const rejected = new Set(archive.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file)).size;
  const lines = archive.diagnostics.map(formatDiagnostic);
  lines.push(
    `${stats.files} files: ${stats.files - rejected} loaded, ${rejected} rejected; ` +
      `${stats.errors} errors, ${stats.warnings} warnings; ` +
      `${stats.series} series, ${stats.episodes} episodes, ${stats.segments} segments, ${stats.turns} turns, ${stats.speakers} speakers`,
  );
  const failed = stats.errors > 0 || (strict && stats.warnings > 0);
  return { exitCode: failed ? 1 : 0, lines };
}

// Run only when executed directly, not when imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { exitCode, lines } = await validate(process.argv.slice(2));
  // Diagnostics go to stdout (like tsc) so they pipe into grep; usage and fatal problems go to stderr.
  (exitCode === 2 ? process.stderr : process.stdout).write(lines.join('\n') + '\n');
  process.exitCode = exitCode;
}
