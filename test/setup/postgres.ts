/**
 * vitest globalSetup: one throwaway PostgreSQL cluster for the whole test run (test/helpers/postgres.ts), its admin
 * URL provided to the test files as `inject('postgresUrl')`. No server, no run: a missing PostgreSQL fails here.
 */
import type { TestProject } from 'vitest/node';

import { startCluster } from '../helpers/postgres.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A connection that cannot be made fails within seconds, not at the test timeout (pools read it: src/pg/client.ts).
  process.env.PGCONNECT_TIMEOUT ??= '5';
  const cluster = await startCluster();
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
