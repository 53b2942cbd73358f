/**
 * Broker host for brokers run as Marathon apps, one app per broker (DC/OS), through
 * Marathon's REST API (/v2/apps, /v2/deployments) with a DC/OS token.
 *
 * The engine's vocabulary maps as follows:
 * - server.properties: the app's env (`config.env.prefix`, only the changed keys' variables).
 * - the install link: the app-definition fields of a release (`releases`: container image,
 *   cmd, fetch URIs).
 * - the running process: the app's running task; it runs the current definition when it
 *   started after the definition's lastConfigChangeAt.
 * - stop: scale the app to 0 instances together with the staged config (Mesos sends SIGTERM,
 *   waits taskKillGracePeriodSeconds, which preflight requires to be ≥ the stop timeout);
 *   activate: change the release fields while at 0; start: scale to 1 and wait until the
 *   deployment is finished and the task is running and healthy.
 */
import { readFileSync } from 'node:fs';
import { InfrastructureError, UserError } from '../errors.js';
import type { BrokerSpec, MarathonExecutorSettings, MarathonReleaseFields, StopSignal } from '../inventory/model.js';
import { envForProperties, propertiesFromEnv } from './env-properties.js';
import {
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  cutOff,
  displayUrl,
  HostileAnswer,
  hostileAction,
  MAX_ANSWER_BYTES,
  notJson,
  redact,
  redirected,
  timedOut,
  tooLarge,
} from './http-answers.js';
import type { BrokerHost, HostFacts, StopResult } from './port.js';

export interface MarathonTask {
  id: string;
  appId: string;
  state?: string;
  startedAt?: string;
  version?: string;
  healthCheckResults?: Array<{ alive: boolean }>;
}

export interface MarathonApp {
  id: string;
  instances: number;
  cmd?: string | null;
  env?: Record<string, string | { secret: string }>;
  container?: { type?: string; docker?: { image?: string }; [k: string]: unknown } | null;
  fetch?: Array<{ uri: string; [k: string]: unknown }>;
  taskKillGracePeriodSeconds?: number | null;
  healthChecks?: unknown[];
  version?: string;
  versionInfo?: { lastConfigChangeAt?: string; lastScalingAt?: string };
  tasks?: MarathonTask[];
  [k: string]: unknown;
}

/** Fields Marathon reports but refuses (or ignores) in a PUT of the definition. */
const READ_ONLY = [
  'version',
  'versionInfo',
  'tasks',
  'tasksRunning',
  'tasksStaged',
  'tasksHealthy',
  'tasksUnhealthy',
  'deployments',
  'lastTaskFailure',
  'readinessCheckResults',
  'taskStats',
];

const POLL_MS = 300;

export async function connectMarathon(spec: BrokerSpec, settings: MarathonExecutorSettings, source: string): Promise<MarathonBrokerHost> {
  const host = new MarathonBrokerHost(spec, settings, source, readToken(settings, source));
  await host.preflight();
  return host;
}

function readToken(settings: MarathonExecutorSettings, source: string): string | undefined {
  if (!settings.token) return undefined;
  if ('env' in settings.token) {
    const value = process.env[settings.token.env];
    if (!value)
      throw new UserError(`The environment variable ${settings.token.env} (executor.token.env) is not set.`, {
        code: 'MARATHON_TOKEN',
        action: `Export ${settings.token.env} with a DC/OS token (e.g. from \`dcos config show core.dcos_acs_token\`).`,
        location: { file: source },
      });
    return value.trim();
  }
  try {
    return readFileSync(settings.token.file, 'utf8').trim();
  } catch (error) {
    throw new UserError(
      `The token file ${settings.token.file} (executor.token.file) cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
      { code: 'MARATHON_TOKEN', action: 'Fix the path or its permissions.', location: { file: source } },
    );
  }
}

export class MarathonBrokerHost implements BrokerHost {
  readonly brokerId: number;
  readonly appId: string;
  /** Definition changes waiting for the next scale (applied with stop() or start()). */
  private staged: Partial<MarathonApp> = {};
  private readonly endpoint: Endpoint;

  constructor(
    private readonly spec: BrokerSpec,
    private readonly settings: MarathonExecutorSettings,
    private readonly source: string,
    private readonly token: string | undefined,
  ) {
    this.brokerId = spec.id;
    this.appId = settings.appId.replaceAll('{id}', String(spec.id));
    this.endpoint = endpointOf(settings.url);
  }

  /** Refusals before anything is touched: access to the app, one instance, the kill grace period. */
  async preflight(): Promise<void> {
    const app = await this.app();
    if (app.instances > 1) {
      throw this.userError(
        `Marathon app ${this.appId} has ${app.instances} instances; kafka-ops expects one app per broker.`,
        'MARATHON_LAYOUT',
        'Run each broker as its own app with instances: 1 and name it in executor.appId ({id} = broker id). Nothing was touched.',
      );
    }
    const grace = app.taskKillGracePeriodSeconds ?? 0;
    if (grace < this.spec.stop.timeoutSeconds) {
      throw this.userError(
        `Marathon app ${this.appId} has taskKillGracePeriodSeconds ${grace}, shorter than broker ${this.brokerId}'s stop timeout of ${this.spec.stop.timeoutSeconds} s: Mesos would SIGKILL the broker before its controlled shutdown can finish.`,
        'MARATHON_GRACE_TOO_SHORT',
        `Set "taskKillGracePeriodSeconds": ${this.spec.stop.timeoutSeconds} (or more) in the app definition, or lower stop.timeoutSeconds in the inventory. Nothing was touched.`,
      );
    }
  }

  async facts(): Promise<HostFacts> {
    const app = await this.app();
    const task = runningTask(app);
    const changedAt = Date.parse(app.versionInfo?.lastConfigChangeAt ?? app.version ?? '') || 0;
    const release = Object.keys(this.settings.releases).find((r) =>
      matchesRelease(app, this.settings.releases[r] as MarathonReleaseFields),
    );
    return {
      ...(task ? { process: { pid: 1, ignoredSignals: [], startedAtMs: Date.parse(task.startedAt as string) } } : {}),
      ...(release && this.spec.installs[release] !== undefined ? { linkTarget: this.spec.installs[release] } : {}),
      installs: Object.fromEntries(
        Object.keys(this.spec.installs).map((r) => [r, this.settings.releases[r] ? { present: true, release: r } : { present: false }]),
      ),
      configModifiedAtMs: changedAt,
      linkModifiedAtMs: changedAt,
    };
  }

  async readConfig(): Promise<string> {
    return propertiesFromEnv(this.settings.config.env.prefix, plainEnv((await this.app()).env));
  }

  async writeConfig(content: string): Promise<string> {
    const app = await this.app();
    // Any change of a running app's definition restarts it at once: stage it for the stop.
    const secrets = Object.fromEntries(Object.entries(app.env ?? {}).filter(([, v]) => typeof v !== 'string'));
    this.staged.env = { ...secrets, ...envForProperties(this.settings.config.env.prefix, plainEnv(app.env), content) };
    return `marathon app ${this.appId} version ${app.version ?? '?'} (GET /v2/apps${this.appId}/versions)`;
  }

  async activateRelease(release: string): Promise<void> {
    const fields = this.settings.releases[release];
    if (!fields)
      throw this.userError(
        `executor.releases has no entry for Kafka ${release}.`,
        'MARATHON_RELEASE_MISSING',
        `Add "${release}": { image | cmd | fetch } under executor.releases.`,
      );
    const app = await this.app();
    if (matchesRelease(app, fields)) return;
    const change: Partial<MarathonApp> = {};
    if (fields.image !== undefined)
      change.container = { ...(app.container ?? { type: 'DOCKER' }), docker: { ...(app.container?.docker ?? {}), image: fields.image } };
    if (fields.cmd !== undefined) change.cmd = fields.cmd;
    if (fields.fetch !== undefined) change.fetch = fields.fetch.map((uri) => ({ uri }));
    if (runningTask(app)) Object.assign(this.staged, change);
    else await this.deploy(app, change, this.spec.startTimeoutSeconds * 1000);
  }

  async stop(_signal: StopSignal, timeoutMs: number): Promise<StopResult> {
    // Mesos always sends SIGTERM first; Kafka's shutdown hook treats it like SIGINT.
    const started = Date.now();
    const app = await this.app();
    const change = { ...this.staged, instances: 0 };
    this.staged = {};
    const done = await this.deploy(app, change, timeoutMs + 5000, (a) => !(a.tasks ?? []).length);
    const elapsedMs = Date.now() - started;
    return {
      exited: done,
      shutdown: 'unknown',
      evidence: done ? [`app ${this.appId} scaled to 0; its task was killed after a graceful SIGTERM`] : [],
      elapsedMs,
      exitMs: elapsedMs,
    };
  }

  async kill(): Promise<void> {
    // Marathon cannot SIGKILL before the grace period; force the scale-down past a stuck deployment.
    await this.request('PUT', `/v2/apps${this.appId}?force=true`, { ...definitionOf(await this.app()), instances: 0 });
  }

  async start(): Promise<void> {
    const app = await this.app();
    const change = { ...this.staged, instances: 1 };
    this.staged = {};
    const ok = await this.deploy(app, change, this.spec.startTimeoutSeconds * 1000, (a) => {
      const task = runningTask(a);
      return task !== undefined && (!(a.healthChecks ?? []).length || (task.healthCheckResults ?? []).some((h) => h.alive));
    });
    if (!ok) {
      throw new InfrastructureError(
        `Marathon app ${this.appId} has no healthy running task ${this.spec.startTimeoutSeconds} s after it was scaled to 1.`,
        {
          code: 'MARATHON_NOT_RUNNING',
          action: `Look at the app's tasks and lastTaskFailure in Marathon, fix the cause, then \`kafka-ops resume\`.`,
          retriable: false,
        },
      );
    }
  }

  async close(): Promise<void> {}

  /** PUT the definition with `change`, then wait until its deployment is gone and `done` holds. */
  private async deploy(
    app: MarathonApp,
    change: Partial<MarathonApp>,
    timeoutMs: number,
    done: (app: MarathonApp) => boolean = () => true,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const { deploymentId } = (await this.request('PUT', `/v2/apps${this.appId}`, { ...definitionOf(app), ...change })) as {
      deploymentId?: string;
    };
    while (Date.now() < deadline) {
      const deployments = (await this.request('GET', '/v2/deployments')) as Array<{ id: string }>;
      if (!deployments.some((d) => d.id === deploymentId) && done(await this.app())) return true;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return false;
  }

  private async app(): Promise<MarathonApp> {
    return ((await this.request('GET', `/v2/apps${this.appId}?embed=app.tasks`)) as { app: MarathonApp }).app;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const what = `${method} ${path.replace(/\?.*$/, '')}`;
    const timeoutSeconds = this.settings.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    const where = `Marathon at ${this.endpoint.display}`;
    let status: number | undefined;
    let text: string;
    try {
      // No redirects followed (the credentials would go along), the whole answer within the timeout and the size cap.
      const response = await fetch(this.endpoint.base + path, {
        method,
        redirect: 'manual',
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.endpoint.authorization ? { authorization: this.endpoint.authorization } : {}),
          ...(this.token ? { authorization: `token=${this.token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
      });
      status = response.status;
      if (status >= 300 && status < 400) {
        await response.body?.cancel();
        throw redirected(status, response.headers.get('location'));
      }
      text = await boundedText(response);
      if (response.ok) {
        const hostile = notJson(response.headers.get('content-type') ?? undefined, text, status);
        if (hostile) throw hostile;
      }
    } catch (error) {
      const answer =
        error instanceof HostileAnswer
          ? error
          : (error as Error).name === 'TimeoutError'
            ? timedOut(timeoutSeconds)
            : status !== undefined
              ? cutOff(status)
              : undefined;
      if (answer)
        throw new InfrastructureError(`${where} ${answer.message} (${what}, broker ${this.brokerId}).`, {
          code: 'MARATHON_API',
          action: hostileAction(answer, 'executor.url'),
          retriable: answer.kind === 'timeout',
        });
      const reason = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new InfrastructureError(
        `${where} is not reachable (${what}): ${this.safe(reason?.code ?? reason?.message ?? (error as Error).message)}`,
        {
          code: 'MARATHON_API',
          action: 'Check executor.url and the network, then run again or `kafka-ops resume`.',
          retriable: true,
        },
      );
    }
    if (status >= 200 && status < 300) return text ? JSON.parse(text) : undefined;
    if (status === 401 || status === 403) {
      throw this.userError(
        `Marathon refused ${what} for broker ${this.brokerId} (HTTP ${status}).`,
        'MARATHON_FORBIDDEN',
        `Check the token (executor.token) and that its user may read and update ${this.appId} (see README "Marathon executor"). Nothing more was touched.`,
      );
    }
    if (status === 404)
      throw this.userError(
        `Marathon has no app ${this.appId} (broker ${this.brokerId}).`,
        'MARATHON_NOT_FOUND',
        'Fix executor.appId in the inventory ({id} = broker id).',
      );
    const message = this.safe(safeMessage(text));
    throw new InfrastructureError(`Marathon answered ${what} with HTTP ${status}${message ? `: ${message}` : ''}.`, {
      code: 'MARATHON_API',
      action:
        status === 409
          ? `Another deployment holds ${this.appId}; wait for it (or cancel it), then \`kafka-ops resume\`.`
          : 'Check Marathon, then run again or `kafka-ops resume`.',
      retriable: status === 409 || status >= 500,
    });
  }

  /** Text from Marathon (or the network) with the token and any basic-auth credentials cut out. */
  private safe(text: string): string {
    return redact(text, [this.token, ...this.endpoint.secrets]);
  }

  private userError(message: string, code: string, action: string): UserError {
    return new UserError(message, { code, action, location: { file: this.source } });
  }
}

function runningTask(app: MarathonApp): MarathonTask | undefined {
  return (app.tasks ?? []).find((t) => t.state === 'TASK_RUNNING' && t.startedAt);
}

function plainEnv(env: MarathonApp['env']): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function matchesRelease(app: MarathonApp, fields: MarathonReleaseFields): boolean {
  if (fields.image !== undefined && app.container?.docker?.image !== fields.image) return false;
  if (fields.cmd !== undefined && app.cmd !== fields.cmd) return false;
  if (fields.fetch !== undefined && JSON.stringify((app.fetch ?? []).map((f) => f.uri)) !== JSON.stringify(fields.fetch)) return false;
  return true;
}

function definitionOf(app: MarathonApp): Record<string, unknown> {
  return Object.fromEntries(Object.entries(app).filter(([k]) => !READ_ONLY.includes(k)));
}

/** Marathon's error body `{"message": ...}` (a server may echo the token in it: shown only through safe()). */
function safeMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message.slice(0, 300) : '';
  } catch {
    return '';
  }
}

interface Endpoint {
  /** The URL requests go to, without user info (fetch refuses credentials in a URL). */
  base: string;
  /** Scheme, host and path only: what errors show. */
  display: string;
  /** `Basic …` from user info in executor.url (Marathon's --http_credentials). */
  authorization?: string;
  secrets: string[];
}

function endpointOf(raw: string): Endpoint {
  const url = new URL(raw);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const encodedPassword = url.password;
  url.username = '';
  url.password = '';
  const base = url.href.replace(/\/+$/, '');
  if (!user && !password) return { base, display: displayUrl(base), secrets: [] };
  const pair = `${user}:${password}`;
  return {
    base,
    display: displayUrl(base),
    authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
    secrets: [pair, password, encodedPassword].filter((s) => s.length > 0),
  };
}

/** The body as text, at most MAX_ANSWER_BYTES of it (a body without end is a hostile answer). */
async function boundedText(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
