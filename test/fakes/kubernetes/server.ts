/**
 * A fake Kubernetes API server for the kafka-ops Kubernetes executor: the few endpoints
 * @kubernetes/client-node calls for it, with a StatefulSet controller (OnDelete and
 * RollingUpdate), pods whose containers are run by a pluggable ContainerRuntime, watch
 * streams, bearer-token RBAC and SelfSubjectAccessReview. Behaviour and differences from a
 * real API server: SPEC.md beside this file.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readBody, send, type Misbehaviour } from '../http.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
export interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: {
    containers: Container[];
    volumes?: Array<{ name: string; configMap?: { name: string } }>;
    terminationGracePeriodSeconds?: number;
  };
}
export interface StatefulSet {
  apiVersion: 'apps/v1';
  kind: 'StatefulSet';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; generation: number; labels?: Record<string, string> };
  spec: {
    replicas: number;
    ordinals?: { start: number };
    updateStrategy: { type: 'OnDelete' | 'RollingUpdate' };
    template: PodTemplate;
    selector?: unknown;
    serviceName?: string;
  };
  status: { replicas: number; readyReplicas: number; currentRevision: string; updateRevision: string; observedGeneration: number };
}
export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    labels: Record<string, string>;
    creationTimestamp: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec: PodTemplate['spec'];
  status: {
    phase: 'Pending' | 'Running' | 'Failed';
    conditions: Array<{ type: string; status: 'True' | 'False' }>;
    containerStatuses: Array<{
      name: string;
      image: string;
      ready: boolean;
      restartCount: number;
      state: { running?: { startedAt: string }; waiting?: { reason: string }; terminated?: { exitCode: number; reason: string } };
    }>;
  };
}
export interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
  data: Record<string, string>;
}

/** What runs a pod's containers: an in-memory stand-in by default, real broker processes in e2e tests. */
export interface ContainerRuntime {
  /** Start the pod's main container; resolves once it runs, rejects if it cannot start. */
  start(pod: Pod, configMaps: (name: string) => ConfigMap | undefined): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`; resolves once the container has exited. */
  stop(pod: Pod, graceSeconds: number): Promise<void>;
}

export const instantRuntime: ContainerRuntime = { start: async () => {}, stop: async () => {} };

/** An RBAC rule: verbs on resources, optionally limited to namespaces and object names. */
export interface Rule {
  verbs: string[];
  resources: string[];
  namespaces?: string[];
  names?: string[];
}
export interface FakeUser {
  name: string;
  rules: Rule[];
}

export interface FakeKubernetesOptions {
  runtime?: ContainerRuntime;
  /** bearer token → user; default: one token `admin-token` allowed everything. */
  users?: Record<string, FakeUser>;
  /** Server-side close of watch streams (a real server closes them after minutes). */
  watchTimeoutMs?: number;
  /** The server stops itself after this long, whatever the test does. */
  lifetimeMs?: number;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Pod;
}

const ALL: Rule = { verbs: ['*'], resources: ['*'] };

export class FakeKubernetes {
  readonly requests: Array<{ method: string; path: string; user?: string }> = [];
  private rv = 1;
  private readonly statefulSets = new Map<string, StatefulSet>();
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly pods = new Map<string, Pod>();
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<{ ns: string; name?: string; res: ServerResponse }>();
  private readonly runtime: ContainerRuntime;
  private readonly users: Record<string, FakeUser>;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: FakeKubernetesOptions = {}) {
    this.runtime = options.runtime ?? instantRuntime;
    this.users = options.users ?? { 'admin-token': { name: 'admin', rules: [ALL] } };
  }

  private readonly http = new LoopbackServer(
    (req, res) => this.handle(req, res),
    (error) => status(500, 'InternalError', String(error)),
    (code, message) => status(code, code === 401 ? 'Unauthorized' : 'Forbidden', message),
  );

  /** From now on, answer matching requests with `m` instead (undefined: behave again). See test/fakes/http.ts. */
  misbehave(m: Misbehaviour | undefined): void {
    this.http.misbehaviour = m;
  }
  /** Requests answered by a misbehaviour so far. */
  get misbehaved(): number {
    return this.http.misbehaved;
  }

  get url(): string {
    return this.http.url;
  }

  start(): Promise<string> {
    return this.http.listen(this.options.lifetimeMs ?? 300_000, () => this.stop());
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    await Promise.allSettled([...this.pending]);
    await this.http.close();
  }

  /** A kubeconfig whose current context reaches this server with `token`. */
  kubeconfig(token = 'admin-token', namespace = 'default'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // client-node refuses plain http unless TLS verification is off; the fake speaks http only.
      `- name: fake\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: fake-user\n  user:\n    token: ${token}`,
      'contexts:',
      `- name: fake\n  context:\n    cluster: fake\n    user: fake-user\n    namespace: ${namespace}`,
      'current-context: fake',
      '',
    ].join('\n');
  }

  // ---- seeding and inspection (what `kubectl apply` would do) ----

  addConfigMap(namespace: string, name: string, data: Record<string, string>): ConfigMap {
    const cm: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, uid: randomUUID(), resourceVersion: this.nextRv() },
      data: { ...data },
    };
    this.configMaps.set(`${namespace}/${name}`, cm);
    return cm;
  }

  /** Creates the StatefulSet and starts its pods (ordinals from `ordinals.start`). */
  async addStatefulSet(
    namespace: string,
    name: string,
    spec: Pick<StatefulSet['spec'], 'replicas' | 'ordinals' | 'updateStrategy' | 'template'>,
  ): Promise<StatefulSet> {
    const revision = revisionOf(name, spec.template);
    const sts: StatefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace, uid: randomUUID(), resourceVersion: this.nextRv(), generation: 1 },
      spec: structuredClone(spec),
      status: { replicas: spec.replicas, readyReplicas: 0, currentRevision: revision, updateRevision: revision, observedGeneration: 1 },
    };
    this.statefulSets.set(`${namespace}/${name}`, sts);
    await Promise.all(this.ordinals(sts).map((o) => this.createPod(sts, o)));
    return sts;
  }

  statefulSet(namespace: string, name: string): StatefulSet | undefined {
    return this.statefulSets.get(`${namespace}/${name}`);
  }
  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.configMaps.get(`${namespace}/${name}`);
  }
  pod(namespace: string, name: string): Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const user = token ? this.users[token] : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, ...(user ? { user: user.name } : {}) });
    if (!user) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const can = (verb: string, resource: string, ns: string, name?: string) => allowed(user, verb, resource, ns, name);
    const deny = (verb: string, resource: string, ns: string, name?: string) =>
      send(
        res,
        403,
        status(
          403,
          'Forbidden',
          `${resource}${name ? ` "${name}"` : ''} is forbidden: User "${user.name}" cannot ${verb} resource "${resource}" in API group "${resource === 'statefulsets' ? 'apps' : ''}" in the namespace "${ns}"`,
        ),
      );

    if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      const review = JSON.parse(body) as {
        spec: { resourceAttributes: { namespace: string; verb: string; resource: string; name?: string } };
      };
      const a = review.spec.resourceAttributes;
      return send(res, 201, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: review.spec,
        status: { allowed: can(a.verb, a.resource, a.namespace, a.name) },
      });
    }
    // StatefulSets and ConfigMaps: get and patch (a StatefulSet's template change drives its controller).
    let m = /^\/(?:apis\/apps\/v1|api\/v1)\/namespaces\/([^/]+)\/(statefulsets|configmaps)\/([^/]+)$/.exec(url.pathname);
    if (m && url.pathname.startsWith(m[2] === 'statefulsets' ? '/apis/apps/v1/' : '/api/v1/')) {
      const [ns, resource, name] = [decodeURIComponent(m[1]!), m[2]!, decodeURIComponent(m[3]!)];
      const verb = req.method === 'GET' ? 'get' : req.method === 'PATCH' ? 'patch' : undefined;
      if (!verb) return send(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
      if (!can(verb, resource, ns, name)) return deny(verb, resource, ns, name);
      const target = resource === 'statefulsets' ? this.statefulSets.get(`${ns}/${name}`) : this.configMaps.get(`${ns}/${name}`);
      if (!target)
        return send(
          res,
          404,
          status(404, 'NotFound', `${resource === 'statefulsets' ? 'statefulsets.apps' : resource} "${name}" not found`),
        );
      if (verb === 'get') return send(res, 200, target);
      const result = this.patch(target, req.headers['content-type'] ?? '', body);
      if (result) return send(res, result.code, status(result.code, result.reason, result.message));
      if (target.kind === 'StatefulSet') this.onTemplateChange(target);
      return send(res, 200, target);
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [ns, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      const pod = this.pods.get(`${ns}/${name}`);
      if (req.method === 'GET') {
        if (!can('get', 'pods', ns, name)) return deny('get', 'pods', ns, name);
        return pod ? send(res, 200, pod) : send(res, 404, status(404, 'NotFound', `pods "${name}" not found`));
      }
      if (req.method === 'DELETE') {
        if (!can('delete', 'pods', ns, name)) return deny('delete', 'pods', ns, name);
        if (!pod) return send(res, 404, status(404, 'NotFound', `pods "${name}" not found`));
        const options = body ? (JSON.parse(body) as { gracePeriodSeconds?: number; preconditions?: { uid?: string } }) : {};
        if (options.preconditions?.uid && options.preconditions.uid !== pod.metadata.uid) {
          return send(
            res,
            409,
            status(
              409,
              'Conflict',
              `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${pod.metadata.uid}`,
            ),
          );
        }
        const query = url.searchParams.get('gracePeriodSeconds');
        const grace = query !== null ? Number(query) : (options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30);
        this.deletePod(pod, grace);
        return send(res, 200, pod);
      }
      return send(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const ns = decodeURIComponent(m[1]!);
      const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
      const verb = watch ? 'watch' : 'list';
      if (!can(verb, 'pods', ns)) return deny(verb, 'pods', ns);
      const field = url.searchParams.get('fieldSelector');
      const byName = field ? /^metadata\.name=(.+)$/.exec(field)?.[1] : undefined;
      if (field && byName === undefined)
        return send(res, 400, status(400, 'BadRequest', `unsupported field selector ${field} (the fake knows metadata.name=)`));
      const matches = (p: Pod) => p.metadata.namespace === ns && (byName === undefined || p.metadata.name === byName);
      if (!watch) {
        return send(res, 200, {
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.pods.values()].filter(matches),
        });
      }
      return this.watch(res, ns, byName, Number(url.searchParams.get('resourceVersion') ?? 0), matches);
    }
    return send(res, 404, status(404, 'NotFound', `the fake serves no ${req.method} ${url.pathname}`));
  }

  private watch(res: ServerResponse, ns: string, name: string | undefined, since: number, matches: (p: Pod) => boolean): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const watcher = { ns, ...(name !== undefined ? { name } : {}), res };
    this.watchers.add(watcher);
    const oldest = this.events[0]?.rv ?? this.rv;
    if (since > 0 && since < oldest - 1) {
      res.write(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${since}`) })}\n`);
      res.end();
      this.watchers.delete(watcher);
      return;
    }
    // Without resourceVersion a real server starts with synthetic ADDED events for what exists.
    if (since === 0) {
      for (const p of this.pods.values()) if (matches(p)) res.write(`${JSON.stringify({ type: 'ADDED', object: p })}\n`);
    } else {
      for (const e of this.events)
        if (e.rv > since && matches(e.object)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    const timer = setTimeout(() => res.end(), this.options.watchTimeoutMs ?? 30_000);
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }

  private emit(type: WatchEvent['type'], pod: Pod): void {
    const event = { rv: Number(pod.metadata.resourceVersion), type, object: structuredClone(pod) };
    this.events.push(event);
    if (this.events.length > 1000) this.events.shift();
    for (const w of this.watchers) {
      if (w.ns === pod.metadata.namespace && (w.name === undefined || w.name === pod.metadata.name))
        w.res.write(`${JSON.stringify({ type, object: event.object })}\n`);
    }
  }

  /** JSON patch (add/replace/remove/test) or merge patch; resourceVersion in a merge patch is a precondition. */
  private patch(
    target: StatefulSet | ConfigMap,
    contentType: string,
    body: string,
  ): { code: number; reason: string; message: string } | undefined {
    const doc = JSON.parse(JSON.stringify(target)) as Record<string, unknown>;
    if (contentType.startsWith('application/json-patch+json')) {
      for (const op of JSON.parse(body) as Array<{ op: string; path: string; value?: unknown }>) {
        const parts = op.path
          .split('/')
          .slice(1)
          .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
        const last = parts.pop() as string;
        let parent: any = doc;
        for (const p of parts) parent = parent?.[p];
        if (parent === undefined || parent === null) return { code: 422, reason: 'Invalid', message: `path ${op.path} does not exist` };
        if (op.op === 'test') {
          if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
            return {
              code: 422,
              reason: 'Invalid',
              message: `the server rejected our request due to an error in our request: testing value ${op.path} failed`,
            };
        } else if (op.op === 'replace' || op.op === 'add') {
          if (op.op === 'replace' && !(last in parent))
            return { code: 422, reason: 'Invalid', message: `replace operation does not apply: doc is missing path: ${op.path}` };
          if (Array.isArray(parent) && op.op === 'add') parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
          else parent[last] = op.value;
        } else if (op.op === 'remove') {
          if (Array.isArray(parent)) parent.splice(Number(last), 1);
          else delete parent[last];
        } else return { code: 422, reason: 'Invalid', message: `unsupported op ${op.op}` };
      }
    } else if (contentType.startsWith('application/merge-patch+json') || contentType.startsWith('application/strategic-merge-patch+json')) {
      const patch = JSON.parse(body) as { metadata?: { resourceVersion?: string } };
      if (patch.metadata?.resourceVersion !== undefined && patch.metadata.resourceVersion !== target.metadata.resourceVersion) {
        return {
          code: 409,
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on ${target.kind.toLowerCase()}s "${target.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        };
      }
      mergePatch(doc, patch);
    } else
      return {
        code: 415,
        reason: 'UnsupportedMediaType',
        message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json`,
      };
    Object.assign(target, doc);
    target.metadata.resourceVersion = this.nextRv();
    return undefined;
  }

  private onTemplateChange(sts: StatefulSet): void {
    const revision = revisionOf(sts.metadata.name, sts.spec.template);
    if (revision === sts.status.updateRevision) return;
    sts.metadata.generation++;
    sts.status.updateRevision = revision;
    sts.status.observedGeneration = sts.metadata.generation;
    // RollingUpdate: the controller itself replaces every pod, highest ordinal first, one at a time.
    if (sts.spec.updateStrategy.type === 'RollingUpdate') {
      this.track(
        (async () => {
          for (const ordinal of this.ordinals(sts).reverse()) {
            const pod = this.pods.get(`${sts.metadata.namespace}/${sts.metadata.name}-${ordinal}`);
            if (pod && pod.metadata.labels['controller-revision-hash'] !== revision)
              await this.deletePod(pod, pod.spec.terminationGracePeriodSeconds ?? 30);
          }
        })(),
      );
    }
  }

  private ordinals(sts: StatefulSet): number[] {
    const start = sts.spec.ordinals?.start ?? 0;
    return Array.from({ length: sts.spec.replicas }, (_, i) => start + i);
  }

  private deletePod(pod: Pod, graceSeconds: number): Promise<void> {
    if (pod.metadata.deletionTimestamp) return Promise.resolve();
    pod.metadata.deletionTimestamp = new Date(Date.now() + graceSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    pod.metadata.deletionGracePeriodSeconds = graceSeconds;
    pod.metadata.resourceVersion = this.nextRv();
    this.emit('MODIFIED', pod);
    return this.track(
      (async () => {
        await this.runtime.stop(pod, graceSeconds).catch(() => undefined);
        this.pods.delete(`${pod.metadata.namespace}/${pod.metadata.name}`);
        pod.metadata.resourceVersion = this.nextRv();
        this.emit('DELETED', pod);
        const [ns, stsName, ordinal] = [
          pod.metadata.namespace,
          pod.metadata.labels['app.kubernetes.io/statefulset'],
          Number(pod.metadata.labels['apps.kubernetes.io/pod-index']),
        ];
        const sts = stsName ? this.statefulSets.get(`${ns}/${stsName}`) : undefined;
        if (sts && this.ordinals(sts).includes(ordinal)) await this.createPod(sts, ordinal);
      })(),
    );
  }

  /** The StatefulSet controller creating a pod from the CURRENT template (update revision). */
  private async createPod(sts: StatefulSet, ordinal: number): Promise<void> {
    const name = `${sts.metadata.name}-${ordinal}`;
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: sts.metadata.namespace,
        uid: randomUUID(),
        resourceVersion: this.nextRv(),
        creationTimestamp: rfc3339(Date.now()),
        labels: {
          ...(sts.spec.template.metadata?.labels ?? {}),
          'controller-revision-hash': sts.status.updateRevision,
          'statefulset.kubernetes.io/pod-name': name,
          'apps.kubernetes.io/pod-index': String(ordinal),
          'app.kubernetes.io/statefulset': sts.metadata.name,
        },
      },
      spec: structuredClone(sts.spec.template.spec),
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: sts.spec.template.spec.containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
        })),
      },
    };
    this.pods.set(`${pod.metadata.namespace}/${name}`, pod);
    this.emit('ADDED', pod);
    try {
      await this.runtime.start(pod, (n) => this.configMaps.get(`${pod.metadata.namespace}/${n}`));
      if (this.pods.get(`${pod.metadata.namespace}/${name}`) !== pod) return;
      const startedAt = rfc3339(Date.now());
      pod.status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: pod.status.containerStatuses.map((s) => ({ ...s, ready: true, state: { running: { startedAt } } })),
      };
    } catch (error) {
      pod.status = {
        phase: 'Failed',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: pod.status.containerStatuses.map((s) => ({
          ...s,
          state: { terminated: { exitCode: 1, reason: String(error).slice(0, 200) } },
        })),
      };
    }
    pod.metadata.resourceVersion = this.nextRv();
    this.emit('MODIFIED', pod);
    sts.status.readyReplicas = [...this.pods.values()].filter(
      (p) =>
        p.metadata.labels['app.kubernetes.io/statefulset'] === sts.metadata.name &&
        p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
    return work;
  }

  private nextRv(): string {
    return String(++this.rv);
  }
}

function allowed(user: FakeUser, verb: string, resource: string, ns: string, name?: string): boolean {
  return user.rules.some(
    (r) =>
      (r.verbs.includes('*') || r.verbs.includes(verb)) &&
      (r.resources.includes('*') || r.resources.includes(resource)) &&
      (!r.namespaces || r.namespaces.includes(ns)) &&
      // As in RBAC, a rule with resourceNames never allows list/watch/create (they carry no name).
      (!r.names || (name !== undefined && r.names.includes(name))),
  );
}

/** The hash the controller labels pods with: of the pod template, as a real controller does (different algorithm). */
export function revisionOf(name: string, template: PodTemplate): string {
  return `${name}-${createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10)}`;
}

function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null && !Array.isArray(target[k]))
      mergePatch(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    else if (typeof v === 'object' && !Array.isArray(v)) {
      target[k] = {};
      mergePatch(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

function rfc3339(ms: number): string {
  // Kubernetes timestamps have second precision.
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
