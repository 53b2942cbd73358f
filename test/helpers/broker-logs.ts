/**
 * What the sandbox brokers' own logs (log4j, INFO) say about leadership during a run: when the
 * controller carried out each controlled shutdown, and when it moved leaders on its own
 * (the automatic leader rebalance). Read to check the leadership-settled gate on real Kafka.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ControlledShutdown {
  broker: number;
  /** The controller starts moving the broker's leaderships away. */
  startedAt: number;
  /** The broker is told its controlled shutdown succeeded (undefined: not found in its log). */
  doneAt?: number;
}

export interface PreferredElection {
  at: number;
  partitions: string;
}

/** log4j's `[2026-12-02 00:34:12,446]` (the JVM's local time, like Node's) → ms. */
function timeOf(line: string): number | undefined {
  const m = /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})\]/.exec(line);
  return m ? new Date(`${m[1]}T${m[2]}.${m[3]}`).getTime() : undefined;
}

export function leadershipEvents(serverLogs: readonly string[]): { shutdowns: ControlledShutdown[]; elections: PreferredElection[] } {
  const lines = serverLogs.flatMap((file) => readFileSync(file, 'utf8').split('\n'));
  const shutdowns: ControlledShutdown[] = [];
  const elections: PreferredElection[] = [];
  const succeeded: Array<{ broker: number; at: number }> = [];
  for (const line of lines) {
    const at = timeOf(line);
    if (at === undefined) continue;
    let m = /\[Controller \d+\]: Shutting down broker (\d+)/.exec(line);
    if (m) shutdowns.push({ broker: Number(m[1]), startedAt: at });
    m = /\[Kafka Server (\d+)\], Controlled shutdown succeeded/.exec(line);
    if (m) succeeded.push({ broker: Number(m[1]), at });
    // The controller logs this line with an empty list when it takes over; only real elections count.
    m = /\[Controller \d+\]: Starting preferred replica leader election for partitions (\S.*?) \(kafka/.exec(line);
    if (m) elections.push({ at, partitions: m[1]! });
  }
  for (const s of shutdowns) {
    const done = succeeded.filter((d) => d.broker === s.broker && d.at >= s.startedAt).sort((a, b) => a.at - b.at)[0];
    if (done) s.doneAt = done.at;
  }
  return { shutdowns: shutdowns.sort((a, b) => a.startedAt - b.startedAt), elections: elections.sort((a, b) => a.at - b.at) };
}

/**
 * The configuration a broker really started with: the last "KafkaConfig values:" dump of its
 * server.log (Kafka logs every resolved value at each start, defaults included), key → value.
 */
export function lastKafkaConfig(serverLog: string): Record<string, string> {
  const lines = readFileSync(serverLog, 'utf8').split('\n');
  const start = lastDump(lines);
  if (start < 0) throw new Error(`${serverLog} has no "KafkaConfig values:" dump`);
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    const m = /^\t([\w.-]+) = (.*)$/.exec(line);
    if (!m) break;
    out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** The lines of a server.log from its last "KafkaConfig values:" dump on: what the broker logged since its last start. */
export function sinceLastStart(serverLog: string): string[] {
  const lines = readFileSync(serverLog, 'utf8').split('\n');
  return lines.slice(Math.max(0, lastDump(lines)));
}

function lastDump(lines: readonly string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.includes('KafkaConfig values:')) return i;
  return -1;
}

/** The release of the kafka_2.13 jar a running JVM has open (its install link resolved by the kernel): what it really runs. */
export function runningRelease(pid: number): string | undefined {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /kafka_2\.13-(\d+\.\d+\.\d+)\.jar$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) return m[1];
    } catch {
      /* fd closed meanwhile */
    }
  }
  return undefined;
}

/** The last "Kafka version:" line a node logged (it logs one per start). */
export const loggedRelease = (logFile: string) => [...readFileSync(logFile, 'utf8').matchAll(/Kafka version: (\S+)/g)].at(-1)?.[1];
