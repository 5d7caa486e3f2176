/**
 * The layers of src/, and the rules that keep them (run by `npm run deps`, part of `npm test`):
 *
 *   lib -> parser -> search -> archive -> pg -> graphql (resolvers, execution, export, context, schema) -> server, cli
 *
 * A module may import from its own layer and the layers before it, never after; no import cycles; outside a
 * layer, the parser and the archive are reached through their public entries; one module owns the archive's file
 * system (src/archive/files.ts); besides, src/schema.ts reads the SDL and src/server/version.ts package.json.
 */
const GRAPHQL = '^src/(resolvers|execution|export|__generated__)/|^src/(context|schema)\\.ts$';
const later = {
  lib: '^src/(parser|search|archive|pg|resolvers|execution|export|server|cli|__generated__)/|^src/(context|schema)\\.ts$',
  parser: '^src/(search|archive|pg|resolvers|execution|export|server|cli|__generated__)/|^src/(context|schema)\\.ts$',
  search: '^src/(archive|pg|resolvers|execution|export|server|cli|__generated__)/|^src/(context|schema)\\.ts$',
  archive: '^src/(pg|resolvers|execution|export|server|cli|__generated__)/|^src/(context|schema)\\.ts$',
  // The PostgreSQL archive (src/pg: the sync, its schema, the pool): reads files through the archive's public entry.
  pg: '^src/(resolvers|execution|export|server|cli|__generated__)/|^src/(context|schema)\\.ts$',
  graphql: '^src/(server|cli)/',
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Import cycles make layers meaningless and load order fragile.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...Object.entries(later).map(([layer, pattern]) => ({
      name: `layer-${layer}`,
      comment: `The ${layer} layer imports only from itself and the layers before it.`,
      severity: 'error',
      from: { path: layer === 'graphql' ? GRAPHQL : `^src/${layer}/` },
      to: { path: pattern },
    })),
    {
      name: 'parser-public-entry',
      comment: 'Outside src/parser, the parser is reached through src/parser/index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/parser/' },
      to: { path: '^src/parser/', pathNot: '^src/parser/index\\.ts$' },
    },
    {
      name: 'archive-public-entry',
      comment: 'Outside src/archive, the archive is reached through src/archive/index.ts (and its record types).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/archive/' },
      to: { path: '^src/archive/', pathNot: '^src/archive/(index|types)\\.ts$' },
    },
    {
      name: 'one-file-system-module',
      comment:
        'The archive reads the file system through src/archive/files.ts only; src/schema.ts reads the SDL and ' +
        'src/server/version.ts package.json, both shipped with the code.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/archive/files\\.ts$|^src/schema\\.ts$|^src/server/version\\.ts$' },
      to: { path: '^(node:)?fs(/promises)?$', dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
