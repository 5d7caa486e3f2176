/**
 * `npm run compose:cosmo`: the Cosmo router's execution config, offline. Writes .build/cosmo/graph.yaml from
 * supergraph.yaml and runs `wgc router compose` on it. wgc pins graphql 16.9.0 exactly, so it runs isolated
 * through npx (its own install, never this project's node_modules), with its update check off.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { stringify } from 'yaml';

import { WGC_QUIET, WGC_VERSION } from './cosmo-env.js';
import { readSupergraphConfig, root } from './compose.js';

const out = path.join(root, '.build', 'cosmo');
mkdirSync(out, { recursive: true });
const subgraphs = readSupergraphConfig().map((s) => {
  // One file per subgraph: wgc reads a single schema file.
  const file = `${s.name}.graphql`;
  writeFileSync(path.join(out, file), s.sdl);
  return { name: s.name, routing_url: s.url, schema: { file: `./${file}` } };
});
writeFileSync(path.join(out, 'graph.yaml'), stringify({ version: 1, subgraphs }));
console.log(`wrote ${path.relative(root, path.join(out, 'graph.yaml'))}`);

const result = spawnSync(
  'npx',
  ['--yes', `wgc@${WGC_VERSION}`, 'router', 'compose', '--input', 'graph.yaml', '--out', 'config.json'],
  { cwd: out, stdio: 'inherit', env: { ...process.env, ...WGC_QUIET } },
);
if (result.status !== 0) {
  console.error(`wgc router compose failed (exit ${result.status ?? result.signal})`);
  process.exit(1);
}
console.log(`wrote ${path.relative(root, path.join(out, 'config.json'))}: the Cosmo router's execution config`);
