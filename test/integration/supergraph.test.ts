import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, parse, valueFromASTUntyped, visit } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startPeopleServer, type PeopleServer } from '../../examples/people/src/server.js';
import { composeAll, readSupergraphConfig } from '../../federation/compose.js';
import { startApolloGateway, startHiveGateway, type Router } from '../../federation/routers.js';
import type { RunningServer } from '../../src/server/app.js';
import { makeCorpus, type Corpus } from '../helpers/corpus.js';
import { gql, startTestServer } from '../helpers/server.js';

/** Every `_entities` request a subgraph receives: its types and how many representations. */
interface EntityCall {
  readonly subgraph: string;
  readonly types: string[];
  readonly representations: number;
}
const calls: EntityCall[] = [];
/**
 * Records each request carrying `_entities`. Routers pass representations as a variable (Apollo) or inline, and
 * may merge several `_entities` selections into one request under aliases (Hive): all count as one request.
 */
const recorder = (subgraph: string): ApolloServerPlugin<any> => ({
  async requestDidStart({ request }) {
    if (!request.query?.includes('_entities')) return;
    const representations: { __typename: string }[] = [];
    visit(parse(request.query), {
      Field(node) {
        if (node.name.value !== '_entities') return;
        const arg = node.arguments?.find((a) => a.name.value === 'representations');
        if (!arg) return;
        const value =
          arg.value.kind === Kind.VARIABLE
            ? request.variables?.[arg.value.name.value]
            : valueFromASTUntyped(arg.value, request.variables);
        representations.push(...(value as { __typename: string }[]));
      },
    });
    calls.push({
      subgraph,
      types: [...new Set(representations.map((r) => r.__typename))].sort(),
      representations: representations.length,
    });
  },
});

let corpus: Corpus;
let transcripts: RunningServer;
let people: PeopleServer;
let supergraphSdl: string;
beforeAll(async () => {
  corpus = makeCorpus();
  // No response cache and no plans: the recorder, an Apollo plugin, must see every request reach Apollo.
  transcripts = await startTestServer({
    dataDir: corpus.dir,
    plugins: [recorder('transcripts')],
    config: {
      responseCacheBytes: 0,
      plannedExecution: false,
    },
  });
  people = await startPeopleServer({ port: 0, host: '127.0.0.1', plugins: [recorder('people')] });
  const urls: Record<string, string> = { transcripts: transcripts.url, people: people.url };
  const subgraphs = readSupergraphConfig().map((s) => ({ ...s, url: urls[s.name]! }));
  const composed = composeAll(subgraphs);
  expect(composed.messages.filter((m) => m.severity === 'error')).toEqual([]);
  supergraphSdl = composed.supergraphSdl!;
});
afterAll(async () => {
  await transcripts.stop();
  await people.stop();
  corpus.cleanup();
});

describe('composition', () => {
  it('composes supergraph.yaml with zero errors under Apollo, Cosmo and Guild composers', () => {
    const result = composeAll(readSupergraphConfig());
    expect(result.messages.filter((m) => m.severity === 'error')).toEqual([]);
    expect(result.supergraphSdl).toContain('join__type(graph: PEOPLE, key: "id")');
    expect(result.cosmoClientSchema).toContain('bio: String');
    expect(result.cosmoClientSchema).not.toContain('federation__');
    expect(result.guildPublicSdl).toContain('debut: Episode');
  });

  it('keeps demand control and contract directives in the supergraph', () => {
    const sdl = composeAll(readSupergraphConfig()).supergraphSdl!;
    expect(sdl).toContain(
      '): TurnSearchConnection! @join__field(graph: TRANSCRIPTS) @listSize(slicingArguments: ["first"], sizedFields: ["edges", "nodes"]) @cost(weight: 10)',
    );
    expect(sdl).toMatch(/@cost\(weight: 10\)/);
    expect(sdl).toMatch(/sourcePath: String! [^\n]*@tag\(name: "internal"\)/);
  });

  it('reports errors with composer and subgraph when a subgraph breaks the contract', () => {
    const broken = readSupergraphConfig().map((s) =>
      s.name === 'people' ? { ...s, sdl: s.sdl.replace('bio: String', 'bio: String\n  name: Int') } : s,
    );
    const result = composeAll(broken);
    const errors = result.messages.filter((m) => m.severity === 'error');
    expect(new Set(errors.map((e) => e.composer))).toEqual(new Set(['apollo', 'cosmo', 'guild']));
    expect(errors.some((e) => e.message.includes('Speaker.name'))).toBe(true);
  });
});

type Call = [subgraph: string, types: string[], representations: number];

/**
 * The `_entities` requests each router's plan makes, one per plan step. Apollo Gateway sends every representation;
 * Hive Gateway merges parallel fetches into one request, drops duplicate representations, and plans the segment
 * query through Segment and Turn entities.
 */
const PLANS: Record<'apollo' | 'hive', Record<string, Call[]>> = {
  apollo: {
    bios: [['people', ['Speaker'], 17]],
    peopleRoot: [
      ['transcripts', ['Speaker'], 1],
      ['transcripts', ['Speaker'], 1],
    ],
    compoundKey: [['transcripts', ['Episode'], 1]],
    threeHops: [
      ['transcripts', ['Episode'], 5],
      ['people', ['Speaker'], 45],
    ],
    unknownKey: [['transcripts', ['Episode'], 5]],
  },
  hive: {
    bios: [
      ['transcripts', ['Segment'], 1],
      ['transcripts', ['Turn'], 17],
      ['people', ['Speaker'], 2],
    ],
    peopleRoot: [['transcripts', ['Speaker'], 2]],
    compoundKey: [['transcripts', ['Episode'], 1]],
    threeHops: [
      ['transcripts', ['Episode'], 4],
      ['transcripts', ['Turn'], 26],
      ['people', ['Speaker'], 5],
    ],
    unknownKey: [['transcripts', ['Episode'], 4]],
  },
};

/** Errors allowed: only the unresolvable debut of Nora (Hive reports the null it completes; Apollo does not). */
const onlyNorasDebut = (errors: { path?: unknown[] }[] | undefined) =>
  (errors ?? []).every((e) => JSON.stringify(e.path?.slice(0, 3)) === JSON.stringify(['people', 3, 'debut']));

describe.each([
  ['Apollo Gateway', 'apollo', (sdl: string) => startApolloGateway({ supergraphSdl: sdl, port: 0, host: '127.0.0.1' })],
  [
    'Hive Gateway',
    'hive',
    (sdl: string) => startHiveGateway({ supergraphSdl: sdl, port: 0, host: '127.0.0.1', deduplicate: false }),
  ],
] as const)('behind %s', (_name, kind, start) => {
  const plan = (name: string) => PLANS[kind][name];
  const seen = () => calls.map((c): Call => [c.subgraph, c.types, c.representations]);
  let router: Router;
  beforeAll(async () => {
    router = await start(supergraphSdl);
  });
  afterAll(async () => {
    await router.stop();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  it('adds the speaker bio to every turn of a segment, in one _entities request', async () => {
    const { data, errors } = await gql(
      router.url,
      '{ segment(id: "ep03-06-cosmo-boring-tech-architecture") { turns { number speaker { id name role bio } } } }',
    );
    expect(errors).toBeUndefined();
    const turns = data.segment.turns as { number: number; speaker: { id: string; role: string } }[];
    expect(turns).toHaveLength(17);
    expect(turns[0]).toEqual({
      number: 1,
      speaker: {
        id: 'stefan',
        name: 'Stefan',
        role: 'Host',
        bio: 'Stefan hosts The Good Thing and asks the questions every platform team is afraid to.',
      },
    });
    expect(turns.map((t) => t.speaker.role)).toEqual(
      turns.map((t) => (t.speaker.id === 'stefan' ? 'Host' : 'Engineer')),
    );
    expect(seen()).toEqual(plan('bios'));
  });

  it('goes from a people root field down into turns and episodes', async () => {
    const { data, errors } = await gql(
      router.url,
      `{ jens: person(id: "jens-neuse") { id role name turnCount episodes { id } turns(first: 1) { nodes { text } } }
         dustin: person(id: "dustin") { name turnCount } }`,
    );
    expect(errors).toBeUndefined();
    expect(data.jens).toEqual({
      id: 'jens-neuse',
      role: 'CEO',
      name: 'Jens Neuse',
      turnCount: 2,
      episodes: [{ id: 'northern-lights-ep2' }, { id: 'the-good-thing-ep3' }],
      turns: { nodes: [{ text: 'A bonus episode with a guest from another show.' }] },
    });
    expect(data.dustin).toEqual({ name: 'Dustin', turnCount: 8 });
    // Two root fields, fetched in parallel: never one request per nested field.
    expect(seen()).toEqual(plan('peopleRoot'));
  });

  it('fetches an Episode by its compound key (series { id } number)', async () => {
    const { data, errors } = await gql(
      router.url,
      '{ person(id: "jens-neuse") { debut { id number series { id title } durationSeconds segments { title } } } }',
    );
    expect(errors).toBeUndefined();
    expect(data.person.debut).toEqual({
      id: 'northern-lights-ep2',
      number: 2,
      series: { id: 'northern-lights', title: 'Northern Lights' },
      durationSeconds: 20.48,
      segments: [{ title: 'Extra Episode' }],
    });
    expect(seen()).toEqual(plan('compoundKey'));
  });

  it('batches many representations per plan step across three hops (no N+1)', async () => {
    const { data, errors } = await gql(
      router.url,
      '{ people { id debut { id turns(first: 20) { nodes { id speaker { id role } } } } } }',
    );
    expect(onlyNorasDebut(errors)).toBe(true);
    const stefan = (data.people as { id: string; debut: { turns: { nodes: { speaker: { role: string } }[] } } }[]).find(
      (p) => p.id === 'stefan',
    )!;
    expect(stefan.debut.turns.nodes).toHaveLength(19);
    expect(new Set(stefan.debut.turns.nodes.map((n) => n.speaker.role))).toEqual(new Set(['Host', 'Engineer', 'CEO']));
    // people -> transcripts (Episode by compound key) -> people (Speaker): one request per step.
    expect(seen()).toEqual(plan('threeHops'));
  });

  it('answers null for an unknown key without failing the rest of the batch', async () => {
    // Nora's debut, the-good-thing episode 99, is not in the archive.
    const { data, errors } = await gql(router.url, '{ people { id role debut { id number } } }');
    expect(onlyNorasDebut(errors)).toBe(true);
    expect(data.people).toEqual([
      { id: 'bjorn-schwenzer', role: 'Co-host', debut: { id: 'northern-lights-ep1', number: 1 } },
      { id: 'dustin', role: 'Engineer', debut: { id: 'the-good-thing-ep3', number: 3 } },
      { id: 'jens-neuse', role: 'CEO', debut: { id: 'northern-lights-ep2', number: 2 } },
      { id: 'nora-nobody', role: 'Guest', debut: null },
      { id: 'stefan', role: 'Host', debut: { id: 'the-good-thing-ep3', number: 3 } },
    ]);
    expect(seen()).toEqual(plan('unknownKey'));
  });
});

describe.each([
  ['Apollo Gateway', (sdl: string) => startApolloGateway({ supergraphSdl: sdl, port: 0, host: '127.0.0.1' })],
  [
    'Hive Gateway',
    (sdl: string) => startHiveGateway({ supergraphSdl: sdl, port: 0, host: '127.0.0.1', deduplicate: false }),
  ],
] as const)('planned execution behind %s', (_name, start) => {
  let planned: RunningServer;
  let router: Router;
  beforeAll(async () => {
    // The default configuration: plans and entity views on, no response cache so every request executes.
    planned = await startTestServer({ dataDir: corpus.dir, config: { responseCacheBytes: 0 } });
    const urls: Record<string, string> = { transcripts: planned.url, people: people.url };
    const composed = composeAll(readSupergraphConfig().map((s) => ({ ...s, url: urls[s.name]! })));
    router = await start(composed.supergraphSdl!);
  });
  afterAll(async () => {
    await router.stop();
    await planned.stop();
  });

  it('answers repeated federated queries from plans with the same data as the first time', async () => {
    const queries = [
      '{ segment(id: "ep03-06-cosmo-boring-tech-architecture") { turns { number speaker { id name role bio } } } }',
      '{ jens: person(id: "jens-neuse") { id role turns(first: 2) { nodes { text episode { id } } } } }',
      '{ people { id debut { id number series { title } turns(first: 1) { nodes { speaker { name role } } } } } }',
    ];
    const before = planned.planned!.stats.planned;
    for (const query of queries) {
      const first = await gql(router.url, query);
      expect(first.data).toBeTruthy();
      for (let i = 0; i < 2; i++) expect(await gql(router.url, query)).toEqual(first);
    }
    // Every repeat reached this subgraph at least once and was answered by a plan.
    expect(planned.planned!.stats.planned - before).toBeGreaterThanOrEqual(queries.length * 2);
  });
});
