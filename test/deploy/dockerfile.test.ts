/** The Dockerfile, parsed (no Docker engine needed), held to the rules the image must keep. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { Copy, DockerfileParser, Env, From, type Instruction } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src/server/app.js';
import { readConfig } from '../../src/server/config.js';
import { repoPath } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';

interface Stage {
  readonly from: From;
  readonly name: string | null;
  readonly instructions: Instruction[];
}

const dockerfile = DockerfileParser.parse(readFileSync(repoPath('Dockerfile'), 'utf8'));

/** The instructions grouped by the FROM that starts each stage. */
const stages: Stage[] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction instanceof From) {
    stages.push({ from: instruction, name: instruction.getBuildStage(), instructions: [] });
  } else {
    stages.at(-1)?.instructions.push(instruction);
  }
}
const runtime = stages.at(-1)!;
const defaultPort = readConfig({}).port;

const argsOf = (i: Instruction): string => i.getArgumentsContent() ?? '';
const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.getKeyword() === keyword);
const runs = (stage: Stage): string[] => all(stage, 'RUN').map(argsOf);
/** ENV values of a stage, later ones winning. */
function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const i of stage.instructions) {
    if (i instanceof Env) for (const p of i.getProperties()) env.set(p.getName(), p.getValue() ?? '');
  }
  return env;
}
/** The absolute path a COPY destination lands at, from the stage's WORKDIR. */
function destinationOf(stage: Stage, copy: Instruction): string {
  let workdir = '/';
  for (const i of stage.instructions) {
    if (i === copy) break;
    if (i.getKeyword() === 'WORKDIR') workdir = path.posix.resolve(workdir, argsOf(i));
  }
  return path.posix.resolve(workdir, copy.getArguments().at(-1)!.getValue());
}
/** `COPY [--from=stage] SRC... DEST` as its parts. */
function copies(stage: Stage): { from: string | null; sources: string[]; destination: string }[] {
  return stage.instructions
    .filter((i): i is Copy => i instanceof Copy)
    .map((copy) => ({
      from: copy.getFromFlag()?.getValue() ?? null,
      sources: copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1),
      destination: destinationOf(stage, copy),
    }));
}
/** Exec form only: `["node", ...]` parses as JSON; the shell form does not. */
function execForm(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not exec form: ${text}`);
  return parsed as string[];
}

describe('Dockerfile', () => {
  it('builds in one stage with every dependency and runs from another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.slice(0, -1).find((s) => runs(s).some((r) => /\bnpm run build\b/.test(r)));
    expect(build, 'a stage before the last runs npm run build').toBeDefined();
    const install = runs(build!).find((r) => /\bnpm ci\b/.test(r));
    expect(install, 'the build stage installs with npm ci').toBeDefined();
    expect(install).not.toMatch(/--omit[= ]dev|--production/);
    expect(runs(runtime).some((r) => /\bnpm run build\b/.test(r))).toBe(false);
  });

  it('runs on a Node LTS image (even major, 22 or later) pinned to major.minor, the same in every stage', () => {
    const images = stages.map((s) => `${s.from.getImageName()}:${s.from.getImageTag()}`);
    expect(new Set(images).size).toBe(1);
    expect(runtime.from.getImageName()).toMatch(/^(docker\.io\/)?(library\/)?node$/);
    const tag = /^(\d+)\.(\d+)(\.\d+)?(-[a-z0-9.-]+)?$/.exec(runtime.from.getImageTag() ?? '');
    expect(tag, `tag ${runtime.from.getImageTag()} is MAJOR.MINOR[-variant]`).not.toBeNull();
    const major = Number(tag![1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
  });

  it('installs production dependencies only in the runtime stage, and takes none from the build', () => {
    const installs = runs(runtime).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toMatch(/\bnpm ci\b.*--omit[= ]dev/);
    for (const copy of copies(runtime)) expect(copy.sources.join(' ')).not.toMatch(/node_modules/);
  });

  it('ships the build, the SDL beside it (src/schema.ts reads ../schema/ from dist/) and the sample data', () => {
    expect(readFileSync(repoPath('src/schema.ts'), 'utf8')).toContain("new URL('../schema/', import.meta.url)");
    const list = copies(runtime);
    const dist = list.find((c) => c.from !== null && c.sources.some((s) => /(^|\/)dist\/?$/.test(s)));
    expect(dist, 'dist/ comes from another stage').toBeDefined();
    expect(stages.some((s) => s.name === dist!.from)).toBe(true);
    const schema = list.find((c) => c.from === null && c.sources.includes('schema'));
    const data = list.find((c) => c.from === null && c.sources.includes('data'));
    expect(schema).toBeDefined();
    expect(data).toBeDefined();
    expect(path.posix.dirname(schema!.destination)).toBe(path.posix.dirname(dist!.destination));
    expect(path.posix.basename(schema!.destination)).toBe('schema');
  });

  it('runs as a non-root user with NODE_ENV=production', () => {
    const user = all(runtime, 'USER').at(-1);
    expect(user, 'the runtime stage sets USER').toBeDefined();
    const name = argsOf(user!).split(':')[0]!;
    expect(['root', '0', '']).not.toContain(name);
    if (/^\d+$/.test(name)) expect(Number(name)).toBeGreaterThan(0);
    expect(envOf(runtime).get('NODE_ENV')).toBe('production');
  });

  it('turns off npm update checks, funding and audit messages wherever npm runs', () => {
    for (const stage of stages.filter((s) => runs(s).some((r) => /\bnpm\b/.test(r)))) {
      const env = envOf(stage);
      expect(env.get('NPM_CONFIG_UPDATE_NOTIFIER'), `stage ${stage.name}`).toBe('false');
      expect(env.get('NPM_CONFIG_FUND'), `stage ${stage.name}`).toBe('false');
      expect(env.get('NPM_CONFIG_AUDIT'), `stage ${stage.name}`).toBe('false');
    }
  });

  it('starts node dist/server/main.js itself, in exec form (so SIGTERM reaches the server)', () => {
    const entrypoint = all(runtime, 'ENTRYPOINT').at(-1);
    const cmd = all(runtime, 'CMD').at(-1);
    const command = [...(entrypoint ? execForm(argsOf(entrypoint)) : []), ...(cmd ? execForm(argsOf(cmd)) : [])];
    expect(command).toEqual(['node', 'dist/server/main.js']);
    const dist = copies(runtime).find((c) => c.sources.some((s) => /(^|\/)dist\/?$/.test(s)))!;
    const workdir = all(runtime, 'WORKDIR').map(argsOf).at(-1);
    expect(dist.destination).toBe(path.posix.resolve(workdir ?? '/', 'dist'));
  });

  it(`exposes the default port (${defaultPort})`, () => {
    const exposed = all(runtime, 'EXPOSE').flatMap((i) =>
      i.getArguments().map((a) => a.getValue().replace(/\/tcp$/, '')),
    );
    expect(exposed).toEqual([String(defaultPort)]);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = all(runtime, 'HEALTHCHECK').at(-1);
    const command = (): string[] => {
      expect(healthcheck, 'the runtime stage has a HEALTHCHECK').toBeDefined();
      const match = /^CMD\s+(\[.*\])$/s.exec(argsOf(healthcheck!).trim());
      expect(match, 'HEALTHCHECK CMD in exec form').not.toBeNull();
      return execForm(match![1]!);
    };
    /** Runs the check as Docker would, with `node` being this Node; resolves to its exit code. */
    const check = (port: number): Promise<number | null> => {
      const [program, ...args] = command();
      expect(program).toBe('node');
      const child = spawn(process.execPath, args, { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
      return new Promise((resolve) => child.on('exit', resolve));
    };

    let server: RunningServer;
    let starting: http.Server;
    beforeAll(async () => {
      server = await startTestServer({ dataDir: repoPath('data') });
      // What /health answers while the archive loads.
      starting = http.createServer((_req, res) => res.writeHead(503).end('{"status":"starting"}'));
      await new Promise<void>((resolve) => starting.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await server.stop();
      await new Promise((resolve) => starting.close(resolve));
    });

    it(`asks /health on PORT, by default ${defaultPort}`, () => {
      const script = command().join(' ');
      expect(script).toMatch(/\/health['"`]/);
      expect(script).toMatch(new RegExp(`process\\.env\\.PORT \\|\\| ${defaultPort}\\b`));
    });

    it('passes on a ready server, fails while it starts and when nothing listens', async () => {
      expect(await check(server.port)).toBe(0);
      expect(await check((starting.address() as AddressInfo).port)).toBe(1);
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      expect(await check(port)).toBe(1);
    });
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  /** Docker's matching, for the forms used here: paths, `*`, `?`, `**` and `!` exceptions; a folder covers its files. */
  const ignored = (file: string): boolean => {
    let result = false;
    for (const raw of patterns) {
      const negate = raw.startsWith('!');
      const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      if (new RegExp(`^${source}(/.*)?$`).test(file)) result = !negate;
    }
    return result;
  };

  it('keeps node_modules, dist, .git and the Node cache out of the build context', () => {
    for (const file of ['node_modules/graphql/index.js', 'dist/server/main.js', '.git/HEAD', '.cache/node/x']) {
      expect(ignored(file), file).toBe(true);
    }
  });

  it('keeps everything the Dockerfile copies from the context', () => {
    const sources = stages.flatMap((s) => copies(s).filter((c) => c.from === null)).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(ignored(source.replace(/^\.\//, '')), source).toBe(false);
  });
});
