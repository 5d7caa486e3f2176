/**
 * Nothing this project runs sends data off the machine unless asked: the routers it starts (Apollo Gateway would
 * report usage to Apollo and probe cloud metadata endpoints) and the tools it invokes (wgc, npx).
 */
import net from 'node:net';

import { describe, expect, it } from 'vitest';

import { WGC_QUIET } from '../../federation/cosmo-env.js';
import { startApolloGateway } from '../../federation/routers.js';
import { offMachine } from '../setup/network-guard.js';

const SDL = `schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) { query: Query }
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
scalar join__FieldSet
enum join__Graph { A @join__graph(name: "a", url: "http://127.0.0.1:9/graphql") }
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
type Query @join__type(graph: A) { hello: String }`;

describe('no data leaves the machine', () => {
  it('the network guard refuses and records a connection off the machine', async () => {
    const before = offMachine.length;
    const socket = net.connect(80, '192.0.2.1');
    await new Promise((resolve) => socket.once('error', resolve));
    expect(offMachine.slice(before)).toEqual(['192.0.2.1']);
    // Forget it, so this file's own check at the end holds for the rest.
    offMachine.length = before;
  });

  it('Apollo Gateway, as npm run supergraph and the tests start it, reports nothing and probes nothing', async () => {
    const router = await startApolloGateway({ supergraphSdl: SDL, port: 0, host: '127.0.0.1' });
    try {
      expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
      // Resource detectors would have started probing by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(offMachine).toEqual([]);
    } finally {
      await router.stop();
    }
  });

  it('wgc and npx run with their telemetry and update checks off', () => {
    expect(WGC_QUIET).toMatchObject({
      COSMO_TELEMETRY_DISABLED: 'true',
      DO_NOT_TRACK: '1',
      DISABLE_UPDATE_CHECK: 'true',
      npm_config_update_notifier: 'false',
    });
  });
});
