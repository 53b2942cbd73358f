/**
 * A fake Marathon (DC/OS) REST API for the kafka-ops Marathon executor: apps with tasks run
 * by a pluggable TaskRuntime, PUT of app definitions creating deployments, GET
 * /v2/deployments, DC/OS `Authorization: token=` auth with per-app ACLs. Behaviour and
 * differences from a real Marathon: SPEC.md beside this file.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readBody, send, type Misbehaviour } from '../http.js';

export interface Task {
  id: string;
  appId: string;
  host: string;
  state: 'TASK_STAGING' | 'TASK_RUNNING' | 'TASK_KILLING';
  stagedAt: string;
  startedAt?: string;
  version: string;
  healthCheckResults: Array<{ alive: boolean; taskId: string }>;
}

export interface App {
  id: string;
  instances: number;
  cmd?: string | null;
  env?: Record<string, string>;
  container?: { type: string; docker?: { image: string } } | null;
  fetch?: Array<{ uri: string }>;
  taskKillGracePeriodSeconds?: number | null;
  healthChecks?: unknown[];
  version: string;
  versionInfo: { lastConfigChangeAt: string; lastScalingAt: string };
  [k: string]: unknown;
}

export interface Deployment {
  id: string;
  version: string;
  affectedApps: string[];
  currentStep: number;
  totalSteps: number;
}

/** What runs an app's task: an in-memory stand-in by default, real broker processes in e2e tests. */
export interface TaskRuntime {
  start(app: App): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`; resolves once the task has exited. */
  stop(app: App, graceSeconds: number): Promise<void>;
}

export const instantTaskRuntime: TaskRuntime = { start: async () => {}, stop: async () => {} };

export interface FakeMarathonOptions {
  runtime?: TaskRuntime;
  /** token → app ids the token's user may read and update ('*' = all). */
  tokens?: Record<string, string[]>;
  /** `user:password` → app ids, for HTTP basic auth (a Marathon started with --http_credentials). */
  basic?: Record<string, string[]>;
  lifetimeMs?: number;
}

/** Fields the definition owner may set through PUT; everything else is Marathon's. */
const READ_ONLY = new Set([
  'version',
  'versionInfo',
  'tasks',
  'tasksRunning',
  'tasksStaged',
  'tasksHealthy',
  'tasksUnhealthy',
  'deployments',
  'lastTaskFailure',
]);

export class FakeMarathon {
  readonly requests: Array<{ method: string; path: string; body?: unknown }> = [];
  private readonly apps = new Map<string, App>();
  private readonly tasks = new Map<string, Task>();
  private readonly deployments = new Map<string, Deployment>();
  private readonly work = new Set<Promise<unknown>>();
  private readonly runtime: TaskRuntime;
  private readonly tokens: Record<string, string[]>;

  constructor(private readonly options: FakeMarathonOptions = {}) {
    this.runtime = options.runtime ?? instantTaskRuntime;
    this.tokens = options.tokens ?? { 'admin-token': ['*'] };
  }

  private readonly http = new LoopbackServer(
    (req, res) => this.handle(req, res),
    (error) => ({ message: `internal error: ${String(error)}` }),
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
    await Promise.allSettled([...this.work]);
    await this.http.close();
  }

  /** Creates the app (as POST /v2/apps would) and runs its instances. */
  async addApp(definition: Omit<App, 'version' | 'versionInfo'>): Promise<App> {
    const now = new Date().toISOString();
    const app: App = { ...structuredClone(definition), version: now, versionInfo: { lastConfigChangeAt: now, lastScalingAt: now } };
    this.apps.set(app.id, app);
    await this.reconcile(app);
    return app;
  }

  app(id: string): App | undefined {
    return this.apps.get(id);
  }
  tasksOf(id: string): Task[] {
    return [...this.tasks.values()].filter((t) => t.appId === id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, ...(body !== undefined ? { body } : {}) });
    const token = /^token=(.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const grants = token ? this.tokens[token] : basic ? this.options.basic?.[Buffer.from(basic, 'base64').toString('utf8')] : undefined;
    if (!grants) return send(res, 401, { message: 'Unauthorized: provide a valid DC/OS authentication token (Authorization: token=...)' });
    const may = (appId: string) => grants.includes('*') || grants.includes(appId);

    if (req.method === 'GET' && url.pathname === '/v2/deployments') {
      return send(
        res,
        200,
        [...this.deployments.values()].filter((d) => d.affectedApps.some(may)),
      );
    }
    const m = /^\/v2\/apps(\/.+)$/.exec(url.pathname);
    if (!m) return send(res, 404, { message: `the fake serves no ${req.method} ${url.pathname}` });
    const id = m[1]!.replace(/\/+$/, '');
    if (!may(id)) return send(res, 403, { message: `User is not authorized to perform this action on ${id}` });
    const app = this.apps.get(id);
    if (!app) return send(res, 404, { message: `App '${id}' does not exist` });
    if (req.method === 'GET') {
      const embedTasks = url.searchParams.getAll('embed').includes('app.tasks');
      return send(res, 200, {
        app: {
          ...app,
          ...(embedTasks ? { tasks: this.tasksOf(id) } : {}),
          tasksRunning: this.tasksOf(id).filter((t) => t.state === 'TASK_RUNNING').length,
          deployments: [...this.deployments.values()].filter((d) => d.affectedApps.includes(id)).map((d) => ({ id: d.id })),
        },
      });
    }
    if (req.method === 'PUT') {
      const force = url.searchParams.get('force') === 'true';
      const locked = [...this.deployments.values()].find((d) => d.affectedApps.includes(id));
      if (locked && !force)
        return send(res, 409, {
          message:
            "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
          deployments: [{ id: locked.id }],
        });
      if (locked) this.deployments.delete(locked.id);
      const definition = body as Record<string, unknown>;
      if (definition.id !== undefined && definition.id !== id)
        return send(res, 422, { message: 'Object is not valid', details: [{ path: '/id', errors: ['id must match the URL'] }] });
      const before = JSON.stringify(configOf(app));
      const now = new Date().toISOString();
      for (const [k, v] of Object.entries(definition)) if (!READ_ONLY.has(k)) app[k] = v;
      const configChanged = JSON.stringify(configOf(app)) !== before;
      app.version = now;
      if (configChanged) app.versionInfo.lastConfigChangeAt = now;
      else app.versionInfo.lastScalingAt = now;
      const deployment: Deployment = { id: randomUUID(), version: now, affectedApps: [id], currentStep: 1, totalSteps: 1 };
      this.deployments.set(deployment.id, deployment);
      this.track(
        this.reconcile(app, configChanged).finally(() => {
          if (this.deployments.get(deployment.id) === deployment) this.deployments.delete(deployment.id);
        }),
      );
      return send(res, 200, { version: now, deploymentId: deployment.id });
    }
    return send(res, 405, { message: 'method not allowed' });
  }

  /** Bring the app's tasks to its definition: kill tasks of an old config (restart), kill extra, start missing. */
  private async reconcile(app: App, restart = false): Promise<void> {
    for (const task of this.tasksOf(app.id)) {
      if (restart || this.tasksOf(app.id).length > app.instances) await this.kill(app, task);
    }
    while (this.tasksOf(app.id).length < app.instances) {
      const task: Task = {
        id: `${app.id.slice(1).replace(/\//g, '_')}.${randomUUID()}`,
        appId: app.id,
        host: '127.0.0.1',
        state: 'TASK_STAGING',
        stagedAt: new Date().toISOString(),
        version: app.version,
        healthCheckResults: [],
      };
      this.tasks.set(task.id, task);
      try {
        await this.runtime.start(app);
        task.state = 'TASK_RUNNING';
        task.startedAt = new Date().toISOString();
        task.healthCheckResults = (app.healthChecks ?? []).length ? [{ alive: true, taskId: task.id }] : [];
      } catch {
        this.tasks.delete(task.id); // TASK_FAILED: Marathon would retry with back-off
        return;
      }
    }
  }

  private async kill(app: App, task: Task): Promise<void> {
    task.state = 'TASK_KILLING';
    await this.runtime.stop(app, app.taskKillGracePeriodSeconds ?? 3).catch(() => undefined);
    this.tasks.delete(task.id);
  }

  private track(work: Promise<unknown>): void {
    this.work.add(work);
    void work.finally(() => this.work.delete(work)).catch(() => undefined);
  }
}

/** The parts of a definition whose change restarts tasks (everything but `instances`). */
function configOf(app: App): Record<string, unknown> {
  return Object.fromEntries(Object.entries(app).filter(([k]) => k !== 'instances' && !READ_ONLY.has(k)));
}
