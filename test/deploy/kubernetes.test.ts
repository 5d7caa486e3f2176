/**
 * deploy/kubernetes (and its large-archive overlay): every manifest validated against the Kubernetes schemas
 * (kubernetes-models: types, required fields, enums; unknown fields pass, as the OpenAPI schemas allow them, so
 * the fields that matter are checked by name below), then held to what the server needs: its port, /health, its
 * environment variables, its shutdown grace, a read-only root filesystem and a transcripts folder it can load.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

import { loadArchive } from '../../src/archive/index.js';
import { parseArgs } from '../../src/cli/sync.js';
import { readConfig } from '../../src/server/config.js';
import { repoPath } from '../helpers/paths.js';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
} & Record<string, any>;

const BASE = 'deploy/kubernetes';
const OVERLAY = 'deploy/kubernetes-large-archive';
const SECRET_EXAMPLE = 'secret.example.yaml';

const read = (file: string): any => parse(readFileSync(repoPath(file), 'utf8'));
const yamlFiles = (dir: string): string[] =>
  readdirSync(repoPath(dir))
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort();

/** The kubernetes-models class for each kind used here; its validate() throws on a schema violation. */
const MODELS: Record<string, { new (data: any): { validate(): void } }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
};
function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest).validate();
}

const kustomization = read(`${BASE}/kustomization.yaml`);
const base: Manifest[] = (kustomization.resources as string[]).map((file) => read(`${BASE}/${file}`));
const one = (kind: string): Manifest => {
  const found = base.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`${BASE} has ${found.length} ${kind}s, not one`);
  return found[0]!;
};
const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const envValue = (name: string): string | undefined => container.env?.find((e: any) => e.name === name)?.value;
const defaults = readConfig({});

/** A container port by name or number, as probes and Services refer to it. */
const containerPort = (port: string | number): number | undefined =>
  typeof port === 'number' ? port : container.ports?.find((p: any) => p.name === port)?.containerPort;

/** Bytes in a Kubernetes quantity (`1Gi`, `256Mi`, `500M`). */
function bytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1);
}
/** Cores in a CPU quantity (`250m`, `1`, `0.5`). */
const cores = (quantity: string | number): number =>
  typeof quantity === 'number'
    ? quantity
    : quantity.endsWith('m')
      ? Number(quantity.slice(0, -1)) / 1000
      : Number(quantity);

const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe(`Kubernetes manifests (${BASE})`, () => {
  it(`kustomization.yaml lists every manifest in the folder but ${SECRET_EXAMPLE}`, () => {
    expect(kustomization).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' });
    expect([...kustomization.resources].sort()).toEqual(yamlFiles(BASE).filter((f) => f !== SECRET_EXAMPLE));
    // Applying the folder must never install the placeholder secret.
    expect(kustomization.resources).not.toContain(SECRET_EXAMPLE);
  });

  it('every manifest, the example Secret included, is a valid object of its kind', () => {
    for (const file of yamlFiles(BASE)) {
      const manifest = read(`${BASE}/${file}`) as Manifest;
      expect(() => validate(manifest), file).not.toThrow();
    }
    expect(base.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ]);
  });

  it(`probes ask /health on the container port, the server's default PORT (${defaults.port})`, () => {
    expect(pod.containers).toHaveLength(1);
    expect(container.ports.map((p: any) => p.containerPort)).toEqual([defaults.port]);
    expect(envValue('PORT')).toBeUndefined();
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      expect(container[probe]?.httpGet?.path, probe).toBe('/health');
      expect(containerPort(container[probe].httpGet.port), probe).toBe(defaults.port);
    }
  });

  it('gives the archive time to load before the startup probe gives up', () => {
    // Measured (full bench run of 2026-11-27, docs/architecture.md): ~7 MB of memory per MB of transcripts, ingest
    // at 11 MB/s. The largest archive the memory limit holds must load in half the startup window, to allow for a
    // slower node.
    const largestArchiveMB = bytes(container.resources.limits.memory) / 7 / 1e6;
    const loadSeconds = largestArchiveMB / 11;
    const { periodSeconds = 10, failureThreshold = 3 } = container.startupProbe;
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(2 * loadSeconds);
  });

  it('sets only variables the server reads, NODE_ENV=production, DATA_DIR on the transcripts mount', () => {
    // Every name readConfig looks up, recorded as it reads them.
    const names = new Set<string>();
    readConfig(new Proxy({}, { get: (_target, name) => (typeof name === 'string' && names.add(name), undefined) }));
    expect(names).toContain('ROUTER_SECRET');
    for (const { name } of container.env) expect(names, `${name} is read by readConfig`).toContain(name);
    expect(envValue('NODE_ENV')).toBe('production');
    const mount = container.volumeMounts.find((m: any) => m.mountPath === envValue('DATA_DIR'));
    expect(mount, 'a volume is mounted at DATA_DIR').toBeDefined();
    expect(mount.readOnly).toBe(true);
    expect(pod.volumes.map((v: any) => v.name)).toContain(mount.name);
  });

  it('takes ROUTER_SECRET from the Secret that secret.example.yaml shows, by name and key', () => {
    const ref = container.env.find((e: any) => e.name === 'ROUTER_SECRET')?.valueFrom?.secretKeyRef;
    expect(ref).toBeDefined();
    expect(ref.optional ?? false).toBe(false);
    const secret = read(`${BASE}/${SECRET_EXAMPLE}`) as Manifest;
    expect(secret.kind).toBe('Secret');
    expect(ref.name).toBe(secret.metadata.name);
    expect(Object.keys(secret.stringData ?? secret.data ?? {})).toContain(ref.key);
    expect(secret.stringData[ref.key]).toMatch(/REPLACE/);
  });

  it('lets the server drain: terminationGracePeriodSeconds exceeds preStop plus SHUTDOWN_GRACE_MS', () => {
    const graceMs = Number(envValue('SHUTDOWN_GRACE_MS') ?? defaults.shutdownGraceMs);
    expect(readConfig({ SHUTDOWN_GRACE_MS: envValue('SHUTDOWN_GRACE_MS') }).shutdownGraceMs).toBe(graceMs);
    const preStopMs = 1000 * (container.lifecycle?.preStop?.sleep?.seconds ?? 0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(preStopMs + graceMs);
  });

  it('runs read-only, as the non-root user the image declares, without privileges', () => {
    const security = { ...pod.securityContext, ...container.securityContext };
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(security.runAsNonRoot).toBe(true);
    expect(security.runAsUser).toBeGreaterThan(0);
    const imageUser = /^USER\s+(\d+)/m.exec(readFileSync(repoPath('Dockerfile'), 'utf8'));
    expect(Number(imageUser?.[1])).toBe(security.runAsUser);
    // Nothing writable is mounted: the server writes no files (its logs go to stdout).
    expect(pod.volumes.every((v: any) => v.emptyDir === undefined)).toBe(true);
  });

  it('requests and limits CPU and memory, requests within limits', () => {
    const { requests, limits } = container.resources;
    expect(cores(requests.cpu)).toBeLessThanOrEqual(cores(limits.cpu));
    expect(bytes(requests.memory)).toBeLessThanOrEqual(bytes(limits.memory));
    expect(cores(requests.cpu)).toBeGreaterThan(0);
    expect(bytes(requests.memory)).toBeGreaterThan(0);
  });

  it("Service: the server's port, to the container's, for the Deployment's pods", () => {
    const service = one('Service');
    expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(matches(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0].port).toBe(defaults.port);
    expect(containerPort(service.spec.ports[0].targetPort ?? service.spec.ports[0].port)).toBe(defaults.port);
  });

  it('PodDisruptionBudget and HorizontalPodAutoscaler cover the Deployment, which leaves replicas to the HPA', () => {
    const labels = deployment.spec.template.metadata.labels;
    const pdb = one('PodDisruptionBudget');
    const hpa = one('HorizontalPodAutoscaler');
    expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(deployment.spec.replicas).toBeUndefined();
    // A drain can always evict one pod, and one always serves.
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.minAvailable);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    // Utilization targets are relative to requests.
    expect(container.resources.requests.cpu).toBeDefined();
  });

  describe('the ConfigMap of transcripts', () => {
    const configMap = one('ConfigMap');
    const volume = pod.volumes.find((v: any) => v.configMap);
    let dir: string | undefined;
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('is the one the Deployment mounts, and fits in a ConfigMap (1 MiB)', () => {
      expect(volume?.configMap.name).toBe(configMap.metadata.name);
      const size = Object.entries(configMap.data as Record<string, string>).reduce(
        (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
        0,
      );
      expect(size).toBeLessThan(1024 * 1024);
    });

    it('loads without errors, mounted as the kubelet mounts it (a hidden timestamped folder, ..data, links)', async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'configmap-'));
      const payload = '..2026_11_29_04_00_00.123456789';
      mkdirSync(path.join(dir, payload));
      symlinkSync(payload, path.join(dir, '..data'));
      const files = Object.entries(configMap.data as Record<string, string>);
      for (const [key, value] of files) {
        writeFileSync(path.join(dir, payload, key), value);
        symlinkSync(`..data/${key}`, path.join(dir, key));
      }
      const archive = await loadArchive(dir);
      expect(archive.stats.errors).toBe(0);
      expect(archive.stats.files).toBe(files.length);
      expect(archive.stats.segments).toBe(files.length);
    });
  });
});

/**
 * Kustomize's strategic merge, as far as these patches use it: maps merge, `null` deletes a key, and lists of
 * named items (containers, volumes) merge by name.
 */
function merge(target: any, patch: any): any {
  if (Array.isArray(patch) && Array.isArray(target) && patch.every((p) => p?.name !== undefined)) {
    const result = [...target];
    for (const item of patch) {
      const at = result.findIndex((t) => t?.name === item.name);
      if (at === -1) result.push(item);
      else result[at] = merge(result[at], item);
    }
    return result;
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result = { ...(target ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}

describe(`the large-archive overlay (${OVERLAY})`, () => {
  const overlay = read(`${OVERLAY}/kustomization.yaml`);
  const patches: Manifest[] = (overlay.patches as { path: string }[]).map((p) => read(`${OVERLAY}/${p.path}`));
  const resources = (overlay.resources as string[]).filter((r) => /\.ya?ml$/.test(r));
  const claim = read(`${OVERLAY}/${resources[0]}`) as Manifest;

  it('builds on the base folder and lists every file it has', () => {
    expect(overlay.resources).toContain(path.posix.relative(OVERLAY, BASE));
    expect([...resources, ...overlay.patches.map((p: { path: string }) => p.path)].sort()).toEqual(yamlFiles(OVERLAY));
  });

  it('claims a volume every replica can mount, and mounts it where the ConfigMap was', () => {
    expect(() => validate(claim)).not.toThrow();
    expect(claim.kind).toBe('PersistentVolumeClaim');
    expect(claim.spec.accessModes).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(ReadOnlyMany|ReadWriteMany)$/)]),
    );

    const patch = patches.find((p) => p.kind === 'Deployment' && p.metadata.name === deployment.metadata.name);
    expect(patch, 'a patch of the base Deployment').toBeDefined();
    const patched = merge(deployment, patch) as Manifest;
    expect(() => validate(patched)).not.toThrow();
    const volumes = patched.spec.template.spec.volumes;
    expect(volumes).toHaveLength(pod.volumes.length);
    const transcripts = volumes.find((v: any) => v.name === pod.volumes.find((b: any) => b.configMap).name);
    // One source per volume: the claim, and no ConfigMap left beside it.
    expect(Object.keys(transcripts).sort()).toEqual(['name', 'persistentVolumeClaim']);
    expect(transcripts.persistentVolumeClaim).toEqual({ claimName: claim.metadata.name, readOnly: true });
  });

  it('drops the sample ConfigMap', () => {
    const configMap = one('ConfigMap');
    expect(patches).toContainEqual(
      expect.objectContaining({ $patch: 'delete', kind: 'ConfigMap', metadata: { name: configMap.metadata.name } }),
    );
  });
});

const PG_OVERLAY = 'deploy/kubernetes-postgres';

describe(`the PostgreSQL overlay (${PG_OVERLAY})`, () => {
  const overlay = read(`${PG_OVERLAY}/kustomization.yaml`);
  const patches: Manifest[] = (overlay.patches as { path: string }[]).map((p) => read(`${PG_OVERLAY}/${p.path}`));
  const resources = (overlay.resources as string[]).filter((r) => /\.ya?ml$/.test(r));
  const added: Manifest[] = resources.map((r) => read(`${PG_OVERLAY}/${r}`));
  const job = added.find((m) => m.kind === 'Job')!;
  const claim = added.find((m) => m.kind === 'PersistentVolumeClaim')!;
  const patched = merge(
    deployment,
    patches.find((p) => p.kind === 'Deployment'),
  ) as Manifest;
  const replica = patched.spec.template.spec.containers[0];
  const secretRef = (c: any) => c.env.find((e: any) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;

  it('builds on the base folder, lists every file it has, and every object is valid', () => {
    expect(overlay.resources).toContain(path.posix.relative(PG_OVERLAY, BASE));
    expect([...resources, ...overlay.patches.map((p: { path: string }) => p.path)].sort()).toEqual(
      yamlFiles(PG_OVERLAY),
    );
    for (const manifest of [...added, patched]) expect(() => validate(manifest)).not.toThrow();
  });

  it('replicas take DATABASE_URL from the Secret the Job uses, and only variables the server reads', () => {
    expect(secretRef(replica)).toEqual({ name: 'transcript-subgraph-database', key: 'url' });
    expect(secretRef(job.spec.template.spec.containers[0])).toEqual(secretRef(replica));
    const read = new Set<string>();
    readConfig(new Proxy({}, { get: (_t, name) => (typeof name === 'string' && read.add(name), undefined) }));
    for (const { name } of replica.env) expect(read.has(name), name).toBe(true);
    const env = Object.fromEntries(
      replica.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]),
    );
    expect(() => readConfig({ ...env, DATABASE_URL: 'postgres://db/archive' })).not.toThrow();
  });

  it('liveness asks /health/live (a lost database must not restart every pod); readiness /health', () => {
    expect(replica.livenessProbe.httpGet.path).toBe('/health/live');
    expect(replica.readinessProbe.httpGet.path).toBe('/health');
  });

  it('the replicas mount no transcripts; the Job mounts the claim, read-only, as the sync command reads it', () => {
    const volumes = patched.spec.template.spec.volumes;
    expect(volumes.find((v: any) => v.name === 'transcripts')).toEqual({ name: 'transcripts', emptyDir: {} });
    const jobPod = job.spec.template.spec;
    expect(jobPod.volumes[0].persistentVolumeClaim).toEqual({ claimName: claim.metadata.name, readOnly: true });
    const [node, script, ...args] = jobPod.containers[0].command;
    expect(node).toBe('node');
    // The image carries dist/, the build of src/.
    expect(existsSync(repoPath(script.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
    const parsed = parseArgs(args);
    expect(parsed.ok && parsed.dir).toBe(jobPod.containers[0].volumeMounts[0].mountPath);
    expect(jobPod.restartPolicy).toBe('Never');
    expect(jobPod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
  });

  it('drops the sample ConfigMap', () => {
    expect(patches).toContainEqual(expect.objectContaining({ $patch: 'delete', kind: 'ConfigMap' }));
  });
});
