/**
 * Broker host for brokers run as pods of a StatefulSet (updateStrategy OnDelete), through
 * the Kubernetes API with the user's kubeconfig (@kubernetes/client-node, imported lazily).
 *
 * The engine's vocabulary maps as follows:
 * - server.properties: a ConfigMap key (written whole, the engine having changed only the
 *   phase's keys) or the broker container's env (only the changed keys' variables).
 * - the install link: the StatefulSet template's image (`images` maps releases to images).
 * - the running process: the pod's broker container; it runs the current template when its
 *   controller-revision-hash equals the StatefulSet's updateRevision, and the current
 *   ConfigMap when it started after kafka-ops last changed the key (an annotation).
 * - stop: delete the pod with a grace period = the stop timeout (the kubelet sends SIGTERM,
 *   which runs Kafka's shutdown hook) and watch until it is gone; the StatefulSet controller
 *   recreates it at once from the template, so the new release is activated BEFORE the stop
 *   (`replacesOnStop`). start: watch until the new pod is Ready on the update revision.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type * as K8s from '@kubernetes/client-node';
import { InfrastructureError, UserError } from '../errors.js';
import type { BrokerSpec, KubernetesExecutorSettings, StopSignal } from '../inventory/model.js';
import { envForProperties, propertiesFromEnv } from './env-properties.js';
import {
  cutOff,
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  displayUrl,
  HostileAnswer,
  hostileAction,
  MAX_ANSWER_BYTES,
  notJson,
  redirected,
  timedOut,
  tooLarge,
} from './http-answers.js';
import type { BrokerHost, HostFacts, StopResult } from './port.js';

type Pod = K8s.V1Pod;
type StatefulSet = K8s.V1StatefulSet;

/** Annotation on the ConfigMap: when kafka-ops last changed a key (epoch ms), to tell which pods started before it. */
export const CHANGED_ANNOTATION_PREFIX = 'kafka-ops.dev/changed.';
export const REVISION_LABEL = 'controller-revision-hash';

interface Clients {
  k8s: typeof K8s;
  config: K8s.KubeConfig;
  core: K8s.CoreV1Api;
  apps: K8s.AppsV1Api;
  auth: K8s.AuthorizationV1Api;
  /** The API server's scheme, host and path, for errors. */
  server: string;
}

/** The permissions a run needs, checked with SelfSubjectAccessReview before anything is touched. */
export function requiredAccess(
  settings: KubernetesExecutorSettings,
  pod: string,
): Array<{ verb: string; resource: string; group: string; name?: string }> {
  const access = [
    { verb: 'get', resource: 'statefulsets', group: 'apps', name: settings.statefulSet },
    { verb: 'patch', resource: 'statefulsets', group: 'apps', name: settings.statefulSet },
    { verb: 'get', resource: 'pods', group: '', name: pod },
    { verb: 'list', resource: 'pods', group: '' },
    { verb: 'watch', resource: 'pods', group: '' },
    { verb: 'delete', resource: 'pods', group: '', name: pod },
  ];
  if ('configMap' in settings.config) {
    access.push(
      { verb: 'get', resource: 'configmaps', group: '', name: settings.config.configMap.name },
      { verb: 'patch', resource: 'configmaps', group: '', name: settings.config.configMap.name },
    );
  }
  return access;
}

export async function connectKubernetes(
  spec: BrokerSpec,
  settings: KubernetesExecutorSettings,
  source: string,
): Promise<KubernetesBrokerHost> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    if (settings.kubeconfig) config.loadFromFile(settings.kubeconfig);
    else config.loadFromDefault();
    if (settings.context) config.setCurrentContext(settings.context);
  } catch (error) {
    throw new UserError(
      `The kubeconfig could not be loaded${settings.kubeconfig ? ` from ${settings.kubeconfig}` : ''}: ${(error as Error).message}`,
      {
        code: 'K8S_KUBECONFIG',
        action: 'Fix executor.kubeconfig / executor.context in the inventory (or $KUBECONFIG), e.g. check `kubectl config get-contexts`.',
        location: { file: source },
      },
    );
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new UserError(`The kubeconfig${settings.kubeconfig ? ` ${settings.kubeconfig}` : ''} has no current cluster.`, {
      code: 'K8S_KUBECONFIG',
      action: 'Fix executor.kubeconfig / executor.context in the inventory (or $KUBECONFIG), e.g. check `kubectl config get-contexts`.',
      location: { file: source },
    });
  // As config.makeApiClient does, but through boundedHttp: no redirects, a size cap and a timeout on every request.
  const api = createApi(k8s, config, cluster.server, (settings.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000);
  const clients: Clients = {
    k8s,
    config,
    core: api(k8s.CoreV1Api),
    apps: api(k8s.AppsV1Api),
    auth: api(k8s.AuthorizationV1Api),
    server: displayUrl(cluster.server),
  };
  const host = new KubernetesBrokerHost(clients, spec, settings, source);
  await host.preflight();
  return host;
}

export class KubernetesBrokerHost implements BrokerHost {
  readonly brokerId: number;
  /** Deleting the pod makes the StatefulSet recreate it at once from its template. */
  readonly replacesOnStop = true;
  readonly podName: string;
  private readonly aborts = new Set<AbortController>();
  private lastStoppedUid: string | undefined;

  constructor(
    private readonly c: Clients,
    private readonly spec: BrokerSpec,
    private readonly settings: KubernetesExecutorSettings,
    private readonly source: string,
  ) {
    this.brokerId = spec.id;
    this.podName = settings.pod.replaceAll('{id}', String(spec.id));
  }

  private get ns(): string {
    return this.settings.namespace;
  }

  private get configKey(): { name: string; key: string } | undefined {
    const config = this.settings.config;
    return 'configMap' in config
      ? { name: config.configMap.name, key: config.configMap.key.replaceAll('{id}', String(this.spec.id)) }
      : undefined;
  }

  /** Refusals before anything is touched: access, OnDelete, the container, the ConfigMap key. */
  async preflight(): Promise<void> {
    const denied: string[] = [];
    for (const a of requiredAccess(this.settings, this.podName)) {
      const review = await this.call(`check access (${a.verb} ${a.resource})`, () =>
        this.c.auth.createSelfSubjectAccessReview({
          body: {
            spec: {
              resourceAttributes: {
                namespace: this.ns,
                verb: a.verb,
                resource: a.resource,
                group: a.group,
                ...(a.name ? { name: a.name } : {}),
              },
            },
          },
        }),
      );
      if (!review.status?.allowed)
        denied.push(`${a.verb} ${a.group ? `${a.resource}.${a.group}` : a.resource}${a.name ? `/${a.name}` : ''}`);
    }
    if (denied.length > 0) {
      throw this.userError(
        `Broker ${this.brokerId}: your Kubernetes identity may not ${denied.join(', ')} in namespace ${this.ns}.`,
        'K8S_FORBIDDEN',
        'Ask for a Role granting these verbs (see README "Kubernetes executor"), or switch executor.context. Nothing was touched.',
      );
    }
    const sts = await this.statefulSet();
    const strategy = sts.spec?.updateStrategy?.type ?? 'RollingUpdate';
    if (strategy !== 'OnDelete') {
      throw this.userError(
        `StatefulSet ${this.ns}/${this.settings.statefulSet} uses updateStrategy ${strategy}: Kubernetes itself would restart every pod as soon as kafka-ops changes the template, without the ISR gates, in its own order.`,
        'K8S_ROLLING_UPDATE',
        `Set spec.updateStrategy.type: OnDelete on the StatefulSet (kubectl -n ${this.ns} patch statefulset ${this.settings.statefulSet} -p '{"spec":{"updateStrategy":{"type":"OnDelete"}}}'), then run again. Nothing was touched.`,
      );
    }
    this.containerIndex(sts);
    const cm = this.configKey;
    if (cm) {
      const map = await this.call(`read ConfigMap ${cm.name}`, () =>
        this.c.core.readNamespacedConfigMap({ name: cm.name, namespace: this.ns }),
      );
      if (map.data?.[cm.key] === undefined) {
        throw this.userError(
          `Broker ${this.brokerId}: ConfigMap ${this.ns}/${cm.name} has no key ${cm.key} (it has: ${Object.keys(map.data ?? {}).join(', ') || 'none'}).`,
          'K8S_CONFIGMAP_KEY_MISSING',
          'Fix executor.config.configMap.key in the inventory ({id} stands for the broker id) or add the key. Nothing was touched.',
        );
      }
    }
  }

  async facts(): Promise<HostFacts> {
    const [sts, pod] = await Promise.all([this.statefulSet(), this.pod()]);
    const template = sts.spec?.template.spec?.containers[this.containerIndex(sts)];
    const release = Object.keys(this.settings.images).find((r) => this.settings.images[r] === template?.image);
    const onUpdateRevision = pod !== undefined && pod.metadata?.labels?.[REVISION_LABEL] === sts.status?.updateRevision;
    // "Older than the template" is all the engine needs: 0 when the pod runs the template, now when it does not.
    const templateChangedAt = onUpdateRevision ? 0 : Date.now();
    const status = pod?.status?.containerStatuses?.find((s) => s.name === this.settings.container);
    const running = pod && !pod.metadata?.deletionTimestamp && status?.state?.running?.startedAt;
    const cm = this.configKey;
    let configModifiedAtMs = templateChangedAt;
    if (cm) {
      const map = await this.call(`read ConfigMap ${cm.name}`, () =>
        this.c.core.readNamespacedConfigMap({ name: cm.name, namespace: this.ns }),
      );
      // Container start times have second precision: compare at that precision.
      const changed = Number(map.metadata?.annotations?.[CHANGED_ANNOTATION_PREFIX + cm.key] ?? 0);
      configModifiedAtMs = Math.floor(changed / 1000) * 1000;
    }
    return {
      ...(running ? { process: { pid: 1, ignoredSignals: [], startedAtMs: new Date(status.state!.running!.startedAt!).getTime() } } : {}),
      ...(release && this.spec.installs[release] !== undefined
        ? { linkTarget: this.spec.installs[release] }
        : template?.image
          ? { linkTarget: `image ${template.image}` }
          : {}),
      installs: Object.fromEntries(
        Object.keys(this.spec.installs).map((r) => [r, this.settings.images[r] ? { present: true, release: r } : { present: false }]),
      ),
      configModifiedAtMs,
      linkModifiedAtMs: templateChangedAt,
    };
  }

  async readConfig(): Promise<string> {
    const cm = this.configKey;
    if (cm) {
      const map = await this.call(`read ConfigMap ${cm.name}`, () =>
        this.c.core.readNamespacedConfigMap({ name: cm.name, namespace: this.ns }),
      );
      const value = map.data?.[cm.key];
      if (value === undefined)
        throw this.userError(
          `ConfigMap ${this.ns}/${cm.name} has no key ${cm.key}.`,
          'K8S_CONFIGMAP_KEY_MISSING',
          'Restore the key, then resume.',
        );
      return value;
    }
    const sts = await this.statefulSet();
    return propertiesFromEnv(this.envPrefix, this.plainEnv(sts));
  }

  async writeConfig(content: string, backupSuffix: string): Promise<string> {
    const cm = this.configKey;
    if (cm) {
      const map = await this.call(`read ConfigMap ${cm.name}`, () =>
        this.c.core.readNamespacedConfigMap({ name: cm.name, namespace: this.ns }),
      );
      const backupKey = `${cm.key}.${backupSuffix}.bak`;
      // resourceVersion makes the patch fail (409) if someone changed the ConfigMap since it was read.
      const body = {
        metadata: {
          resourceVersion: map.metadata?.resourceVersion,
          annotations: { [CHANGED_ANNOTATION_PREFIX + cm.key]: String(Date.now()) },
        },
        data: { [cm.key]: content, [backupKey]: map.data?.[cm.key] ?? '' },
      };
      await this.call(`patch ConfigMap ${cm.name}`, () =>
        this.c.core.patchNamespacedConfigMap({ name: cm.name, namespace: this.ns, body }, this.patchAs('MergePatch')),
      );
      return `configmap/${cm.name} key ${backupKey}`;
    }
    const sts = await this.statefulSet();
    const index = this.containerIndex(sts);
    const container = sts.spec!.template.spec!.containers[index]!;
    const env = envForProperties(this.envPrefix, this.plainEnv(sts), content);
    const list = [
      ...(container.env ?? []).filter((e) => e.value === undefined && e.valueFrom !== undefined),
      ...Object.entries(env).map(([name, value]) => ({ name, value })),
    ];
    await this.patchStatefulSet(sts, [{ op: 'replace', path: `/spec/template/spec/containers/${index}/env`, value: list }]);
    return `statefulset/${this.settings.statefulSet} revision ${sts.status?.updateRevision ?? '?'} (kubectl rollout history)`;
  }

  async activateRelease(release: string): Promise<void> {
    const image = this.settings.images[release];
    if (!image)
      throw this.userError(
        `executor.images has no image for Kafka ${release}.`,
        'K8S_IMAGE_MISSING',
        `Add "${release}": <image> under executor.images.`,
      );
    const sts = await this.statefulSet();
    if (sts.spec?.template.spec?.containers[this.containerIndex(sts)]?.image === image) return;
    await this.patchStatefulSet(sts, [
      { op: 'replace', path: `/spec/template/spec/containers/${this.containerIndex(sts)}/image`, value: image },
    ]);
  }

  async stop(_signal: StopSignal, timeoutMs: number): Promise<StopResult> {
    // The kubelet always sends SIGTERM on delete; Kafka's shutdown hook treats it like SIGINT.
    const started = Date.now();
    const pod = await this.pod();
    if (!pod) return { exited: true, shutdown: 'unknown', evidence: ['the pod did not exist'], elapsedMs: 0 };
    const uid = pod.metadata?.uid;
    this.lastStoppedUid = uid;
    await this.deletePod(uid, Math.ceil(timeoutMs / 1000));
    const gone = await this.waitForPod((p) => p === undefined || p.metadata?.uid !== uid, timeoutMs + 5000);
    const elapsedMs = Date.now() - started;
    return {
      exited: gone,
      shutdown: 'unknown',
      evidence: gone
        ? [
            `pod ${this.podName} (uid ${uid}) deleted with a grace period of ${Math.ceil(timeoutMs / 1000)} s (SIGTERM, SIGKILL only at its end) and gone after ${elapsedMs} ms`,
          ]
        : [],
      elapsedMs,
      exitMs: elapsedMs,
    };
  }

  async kill(): Promise<void> {
    const pod = await this.pod();
    if (pod) await this.deletePod(pod.metadata?.uid, 0);
  }

  async start(): Promise<void> {
    const sts = await this.statefulSet();
    const revision = sts.status?.updateRevision;
    const current = await this.pod();
    // A pod left on an older revision (e.g. a run stopped between patch and delete) is replaced.
    if (
      current &&
      current.metadata?.uid !== this.lastStoppedUid &&
      current.metadata?.labels?.[REVISION_LABEL] !== revision &&
      !current.metadata?.deletionTimestamp
    ) {
      await this.deletePod(current.metadata?.uid, this.spec.stop.timeoutSeconds);
    }
    const ready = await this.waitForPod(
      (p) => p !== undefined && !p.metadata?.deletionTimestamp && p.metadata?.labels?.[REVISION_LABEL] === revision && isReady(p),
      this.spec.startTimeoutSeconds * 1000,
    );
    if (!ready) {
      throw new InfrastructureError(
        `Pod ${this.ns}/${this.podName} is not Ready on revision ${revision} ${this.spec.startTimeoutSeconds} s after it was deleted.`,
        {
          code: 'K8S_POD_NOT_READY',
          action: `Look at \`kubectl -n ${this.ns} describe pod ${this.podName}\` and its logs, fix the cause, then \`kafka-ops resume\`.`,
          retriable: false,
        },
      );
    }
  }

  async close(): Promise<void> {
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
  }

  private get envPrefix(): string {
    return 'env' in this.settings.config ? this.settings.config.env.prefix : '';
  }

  private plainEnv(sts: StatefulSet): Record<string, string> {
    const container = sts.spec?.template.spec?.containers[this.containerIndex(sts)];
    return Object.fromEntries((container?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
  }

  private containerIndex(sts: StatefulSet): number {
    const containers = sts.spec?.template.spec?.containers ?? [];
    const index = containers.findIndex((c) => c.name === this.settings.container);
    if (index < 0) {
      throw this.userError(
        `StatefulSet ${this.ns}/${this.settings.statefulSet} has no container ${this.settings.container} (it has: ${containers.map((c) => c.name).join(', ')}).`,
        'K8S_CONTAINER_MISSING',
        'Fix executor.container in the inventory. Nothing was touched.',
      );
    }
    return index;
  }

  private statefulSet(): Promise<StatefulSet> {
    return this.call(`read StatefulSet ${this.settings.statefulSet}`, () =>
      this.c.apps.readNamespacedStatefulSet({ name: this.settings.statefulSet, namespace: this.ns }),
    );
  }

  private async pod(): Promise<Pod | undefined> {
    try {
      return await this.c.core.readNamespacedPod({ name: this.podName, namespace: this.ns });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.apiError(`read pod ${this.podName}`, error);
    }
  }

  private async patchStatefulSet(sts: StatefulSet, ops: object[]): Promise<void> {
    // The test op makes the patch fail if the StatefulSet changed since it was read.
    const body = [{ op: 'test', path: '/metadata/resourceVersion', value: sts.metadata?.resourceVersion }, ...ops];
    await this.call(`patch StatefulSet ${this.settings.statefulSet}`, () =>
      this.c.apps.patchNamespacedStatefulSet({ name: this.settings.statefulSet, namespace: this.ns, body }, this.patchAs('JsonPatch')),
    );
  }

  private async deletePod(uid: string | undefined, gracePeriodSeconds: number): Promise<void> {
    try {
      await this.c.core.deleteNamespacedPod({
        name: this.podName,
        namespace: this.ns,
        gracePeriodSeconds,
        body: { gracePeriodSeconds, ...(uid ? { preconditions: { uid } } : {}) },
      });
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 409) return; // already gone or already replaced
      throw this.apiError(`delete pod ${this.podName}`, error);
    }
  }

  private patchAs(strategy: 'MergePatch' | 'JsonPatch') {
    return this.c.k8s.setHeaderOptions('Content-Type', this.c.k8s.PatchStrategy[strategy]);
  }

  /** Watch this pod (list, then watch from that resourceVersion, again when the stream ends) until `done` holds or the time is up. */
  private async waitForPod(done: (pod: Pod | undefined) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const fieldSelector = `metadata.name=${this.podName}`;
    while (Date.now() < deadline) {
      const list = await this.call('list pods', () => this.c.core.listNamespacedPod({ namespace: this.ns, fieldSelector }));
      if (done(list.items[0])) return true;
      const outcome = await new Promise<boolean>((resolve) => {
        let controller: AbortController | undefined;
        const timer = setTimeout(() => finish(false), Math.max(1, deadline - Date.now()));
        const finish = (value: boolean) => {
          clearTimeout(timer);
          if (controller) {
            this.aborts.delete(controller);
            controller.abort();
          }
          resolve(value);
        };
        new this.c.k8s.Watch(this.c.config)
          .watch(
            `/api/v1/namespaces/${encodeURIComponent(this.ns)}/pods`,
            { fieldSelector, resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
            (type, object: Pod) => {
              if (type === 'BOOKMARK') return;
              if (done(type === 'DELETED' ? undefined : object)) finish(true);
            },
            () => finish(false),
          )
          .then(
            (c) => {
              controller = c;
              this.aborts.add(c);
            },
            () => finish(false),
          );
      });
      if (outcome) return true;
    }
    return false;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.apiError(what, error);
    }
  }

  private apiError(what: string, error: unknown): Error {
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      return this.userError(
        `Broker ${this.brokerId}: Kubernetes refused to ${what} in namespace ${this.ns} (HTTP ${status}).`,
        'K8S_FORBIDDEN',
        'Check the kubeconfig credentials and the Role bound to them (see README "Kubernetes executor"). Nothing more was touched.',
      );
    }
    if (status === 404) {
      return this.userError(
        `Broker ${this.brokerId}: could not ${what} in namespace ${this.ns}: not found.`,
        'K8S_NOT_FOUND',
        'Fix executor.namespace / statefulSet / config in the inventory.',
      );
    }
    if (error instanceof HostileAnswer) {
      return new InfrastructureError(
        `Broker ${this.brokerId}: could not ${what} in namespace ${this.ns}: the API server ${this.c.server} ${error.message}.`,
        {
          code: 'K8S_API',
          action: hostileAction(error, "the kubeconfig's cluster server (executor.kubeconfig / executor.context)"),
          retriable: error.kind === 'timeout',
        },
      );
    }
    // Never the library's message for an HTTP status: it carries the answer's body, which may echo a credential.
    const reason = status ? `HTTP ${status}` : ((error as { code?: unknown }).code ?? 'no answer');
    return new InfrastructureError(
      `Broker ${this.brokerId}: could not ${what} in namespace ${this.ns} (API server ${this.c.server}): ${String(reason)}`,
      {
        code: 'K8S_API',
        action: 'Check that the API server is reachable with your kubeconfig (`kubectl get pods`), then run again or `kafka-ops resume`.',
        retriable: status === undefined || status === 409 || status >= 500,
        cause: error,
      },
    );
  }

  private userError(message: string, code: string, action: string): UserError {
    return new UserError(message, { code, action, location: { file: this.source } });
  }
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown; statusCode?: unknown })?.code ?? (error as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

type ApiClass<T> = new (configuration: K8s.Configuration) => T;

function createApi(k8s: typeof K8s, config: K8s.KubeConfig, server: string, timeoutMs: number): <T>(type: ApiClass<T>) => T {
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(server, {}),
    authMethods: { default: config },
    httpApi: k8s.wrapHttpLibrary({ send: (request) => boundedHttp(k8s, request, timeoutMs) }),
  });
  return (type) => new type(configuration);
}

/**
 * One request as client-node's fetch library makes it (same agent: TLS settings, client certificates), except
 * that a redirect is not followed, the whole answer must come within `timeoutMs` and within MAX_ANSWER_BYTES,
 * and a 2xx answer must be JSON: otherwise it rejects with a HostileAnswer.
 */
function boundedHttp(k8s: typeof K8s, request: K8s.RequestContext, timeoutMs: number): Promise<K8s.ResponseContext> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.getUrl());
    const raw = request.getBody();
    // DELETE bodies are not chunked by node: the length must be given.
    const body = raw === undefined ? undefined : Buffer.from(typeof raw === 'string' ? raw : String(raw));
    const headers = { ...request.getHeaders(), ...(body ? { 'content-length': String(body.length) } : {}) };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(timedOut(Math.round(timeoutMs / 1000))), timeoutMs);
    const req = send(
      url,
      { method: request.getHttpMethod(), headers, ...(request.getAgent() ? { agent: request.getAgent() } : {}) },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) return fail(redirected(status, res.headers.location));
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > MAX_ANSWER_BYTES) return fail(tooLarge());
          chunks.push(chunk);
        });
        res.on('error', () => fail(cutOff(status)));
        res.on('close', () => fail(cutOff(status))); // no-op once settled by 'end'
        res.on('end', () => {
          if (settled) return;
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          const hostile = status >= 200 && status < 300 ? notJson(res.headers['content-type'], text, status) : undefined;
          if (hostile) return fail(hostile);
          settled = true;
          clearTimeout(timer);
          const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
          resolve(new k8s.ResponseContext(status, headers, { text: async () => text, binary: async () => raw }));
        });
      },
    );
    req.on('error', fail);
    request.getSignal()?.addEventListener('abort', () => fail(new Error('aborted')));
    req.end(body);
  });
}
