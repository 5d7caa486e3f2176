/**
 * `npm run compose`: composes supergraph.yaml with all three composers and writes the artifacts under
 * .build/supergraph/. Prints every error and hint with its composer, subgraph and coordinate; exits 1 on any
 * error (hints do not fail).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { composeAll, formatMessage, readSupergraphConfig, root } from './compose.js';

const subgraphs = readSupergraphConfig();
const result = composeAll(subgraphs);
for (const m of result.messages) console.log(formatMessage(m));
const errors = result.messages.filter((m) => m.severity === 'error').length;
const hints = result.messages.length - errors;
const out = path.join(root, '.build', 'supergraph');
mkdirSync(out, { recursive: true });
const artifacts: [string, string | undefined][] = [
  ['supergraph.graphql', result.supergraphSdl],
  ['cosmo-schema.graphql', result.cosmoSchema],
  ['cosmo-client-schema.graphql', result.cosmoClientSchema],
  ['public-schema.graphql', result.guildPublicSdl],
];
for (const [name, text] of artifacts) {
  if (text) {
    writeFileSync(path.join(out, name), text);
    console.log(`wrote ${path.relative(root, path.join(out, name))}`);
  }
}
console.log(
  `${subgraphs.map((s) => s.name).join(' + ')}: ${errors} errors, ${hints} hints (apollo, cosmo and guild composers)`,
);
process.exitCode = errors > 0 ? 1 : 0;
