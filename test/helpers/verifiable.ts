/**
 * Kafka's own VerifiableProducer / VerifiableConsumer (from the shipped 0.9.0.1 jars, or from
 * a release's libs/ with kafka-tools: 0.9 clients cannot talk to 4.x brokers, KIP-896),
 * run during a roll to prove that no acknowledged message is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { embeddedKafkaHome, findJava, SANDBOX_JVM_FLAGS } from '../../src/sandbox/java.js';

interface Client {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Every client started, so an afterAll can stop them even when a test timed out mid-way. */
const running = new Set<Client>();

export async function stopAllClients(): Promise<void> {
  await Promise.all([...running].map((c) => stop(c)));
}

/** Where the clients' jars come from: the embedded 0.9.0.1 (`--broker-list`), or a 3.x+ release (`--bootstrap-server`). */
export interface ClientRelease {
  home: string;
  /** The connect flag of that release's clients. */
  bootstrapFlag: '--broker-list' | '--bootstrap-server';
}

const embedded = (): ClientRelease => ({ home: embeddedKafkaHome(), bootstrapFlag: '--broker-list' });

function startClient(mainClass: string, args: string[], onEvent: (e: Record<string, unknown>) => void, home: string): Client {
  const java = findJava();
  const child = spawn(java, ['-Xmx128m', ...SANDBOX_JVM_FLAGS, '-cp', `${home}/libs/*`, mainClass, ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* log noise on stdout */
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = { child, exited };
  running.add(client);
  void exited.then(() => running.delete(client));
  return client;
}

async function stop(client: Client): Promise<void> {
  if (client.child.exitCode !== null || client.child.signalCode !== null) return;
  client.child.kill('SIGTERM');
  const timer = setTimeout(() => client.child.kill('SIGKILL'), 15_000);
  await client.exited;
  clearTimeout(timer);
}

/** Where the log put a message: `<partition>@<offset>`. */
export type LogPosition = string;
const positionOf = (e: Record<string, unknown>): LogPosition => `${String(e.partition)}@${String(e.offset)}`;

export class VerifiableProducer {
  readonly acked = new Set<string>();
  /** Acknowledged value → where the leader said it was written. */
  readonly ackedAt = new Map<string, LogPosition>();
  errors = 0;
  private readonly client: Client;
  constructor(bootstrap: string, topic: string, messagesPerSecond: number, release: ClientRelease = embedded()) {
    this.client = startClient(
      'org.apache.kafka.tools.VerifiableProducer',
      ['--topic', topic, release.bootstrapFlag, bootstrap, '--acks', '-1', '--throughput', String(messagesPerSecond)],
      (e) => {
        if (e.name === 'producer_send_success') {
          this.acked.add(String(e.value));
          this.ackedAt.set(String(e.value), positionOf(e));
        } else if (e.name === 'producer_send_error') this.errors++;
      },
      release.home,
    );
  }
  get sent(): number {
    return this.acked.size + this.errors;
  }
  stop(): Promise<void> {
    return stop(this.client);
  }
}

export class VerifiableConsumer {
  readonly consumed = new Set<string>();
  /** What the consumer read at each log position (the last value, should it differ between reads). */
  readonly readAt = new Map<LogPosition, string>();
  private readonly client: Client;
  constructor(bootstrap: string, topic: string, group: string, release: ClientRelease = embedded()) {
    this.client = startClient(
      'org.apache.kafka.tools.VerifiableConsumer',
      [
        '--topic',
        topic,
        release.bootstrapFlag,
        bootstrap,
        '--group-id',
        group,
        '--verbose',
        '--reset-policy',
        'earliest',
        '--session-timeout',
        '10000',
      ],
      (e) => {
        if (e.name === 'record_data') {
          this.consumed.add(String(e.value));
          this.readAt.set(positionOf(e), String(e.value));
        }
      },
      release.home,
    );
  }
  /** Wait until every value in `expected` was consumed, or the timeout. */
  async waitFor(expected: ReadonlySet<string>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...expected].some((v) => !this.consumed.has(v))) {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  stop(): Promise<void> {
    return stop(this.client);
  }
}

/**
 * For each acknowledged value never consumed: where it was written, and what the consumer found
 * there. Another value at its offset means the log lost it (truncated, then overwritten), no
 * value means the consumer never read that offset.
 */
export function describeLoss(lost: readonly string[], producer: VerifiableProducer, consumer: VerifiableConsumer): string[] {
  return lost.map((value) => {
    const at = producer.ackedAt.get(value) ?? '?';
    const found = consumer.readAt.get(at);
    return `value ${value} acked at partition ${at.replace('@', ' offset ')}: ${found === undefined ? 'that offset was never read' : `the consumer read value ${found} there`}`;
  });
}

/**
 * `during` (an upgrade, a roll) under Kafka's own clients: an acks=all producer at `messagesPerSecond`
 * and a consumer, traffic flowing for 3 s before it starts and 2 s after it ends, then every
 * acknowledged value read back (up to 60 s). Prints sent / acked / consumed / lost, and where each
 * lost value was written; `lost` is what the caller asserts empty.
 */
export async function underLiveTraffic<T>(
  bootstrap: string,
  topic: string,
  group: string,
  release: ClientRelease,
  during: () => Promise<T>,
  messagesPerSecond = 200,
): Promise<{ result: T; producer: VerifiableProducer; consumer: VerifiableConsumer; lost: string[] }> {
  const consumer = new VerifiableConsumer(bootstrap, topic, group, release);
  const producer = new VerifiableProducer(bootstrap, topic, messagesPerSecond, release);
  await new Promise((r) => setTimeout(r, 3000)); // traffic flowing before the first stop
  const result = await during();
  await new Promise((r) => setTimeout(r, 2000));
  await producer.stop();
  await consumer.waitFor(producer.acked, 60_000);
  await consumer.stop();
  const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
  console.log(`sent ${producer.sent} / acked ${producer.acked.size} / consumed ${consumer.consumed.size} / lost ${lost.length}`);
  for (const line of describeLoss(lost, producer, consumer)) console.log(line);
  return { result, producer, consumer, lost };
}
