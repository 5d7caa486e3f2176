import { readFileSync } from 'node:fs';

import { repoPath } from './paths.js';

/** The page that documents configuration. */
export const CONFIGURATION_PAGE = 'README.md';

/**
 * The configuration table's rows: variable name -> its default cell (`| \`NAME\` | default | meaning |`).
 *
 * @example
 * configurationTable().get('PORT') // '`4001`'
 */
export function configurationTable(page = CONFIGURATION_PAGE): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(repoPath(page), 'utf8').split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}
