/**
 * --elect-preferred-leaders: a restart moves the leaderships of a broker to other replicas, and
 * they stay there until the controller's automatic rebalance moves them back, which never happens
 * with auto.leader.rebalance.enable=false (and takes up to leader.imbalance.check.interval.seconds
 * otherwise). With the flag, after each broker (or batch) is back and caught up, the engine asks
 * the controller (through the ClusterState port) to move back the partitions whose preferred
 * replica (the first assigned) is that broker, and waits until they are led by it again. A wait
 * that times out, or a request that fails, is a warning: the roll itself is fine and goes on.
 *
 * The default (no flag): on when a broker of the inventory has auto.leader.rebalance.enable=false
 * and the cluster reader can ask for an election; `--no-elect-preferred-leaders` turns it off.
 * The flag with a reader that cannot ask (the admin API through kafkajs, which has no
 * ElectLeaders) is an error before any restart.
 */
import { parseProperties } from '../config/properties.js';
import type { ClusterSnapshot, PartitionState } from '../cluster/port.js';
import { KafkaOpsError, UserError } from '../errors.js';
import type { Plan } from '../plan/model.js';
import type { EngineDeps, LeaderElectionReport } from './ports.js';

/** How long the controller gets to move the leaders back before the run warns and goes on. */
export const ELECTION_TIMEOUT_MS = 60_000;
const PENDING = 'preferred replica election';

/** Partitions with a leader that is not their preferred replica (the first assigned). */
export function imbalanced(snapshot: ClusterSnapshot): PartitionState[] {
  return snapshot.partitions.filter((p) => p.leader >= 0 && p.replicas[0] !== undefined && p.leader !== p.replicas[0]);
}

/** The partitions an election after `brokers` came back moves: preferred replica among them, in sync, not leading. */
export function electableFor(snapshot: ClusterSnapshot, brokers: ReadonlySet<number>): PartitionState[] {
  return snapshot.partitions.filter((p) => {
    const preferred = p.replicas[0];
    return (
      preferred !== undefined &&
      brokers.has(preferred) &&
      p.leader !== preferred &&
      snapshot.brokers.includes(preferred) &&
      p.isr.includes(preferred)
    );
  });
}

/** --elect-preferred-leaders with a cluster reader that cannot ask for an election (the run and its dry run say it before any restart). */
export function electionUnsupported(): UserError {
  return new UserError(
    'Preferred leader election (--elect-preferred-leaders) is not supported with this reader: the admin API client (kafkajs) cannot ask for one; only the ZooKeeper reader (state.zookeeper in the inventory) can. Nothing was restarted.',
    {
      code: 'ELECTION_UNSUPPORTED',
      action:
        'Set state.zookeeper in the inventory (ZooKeeper-mode clusters), or run without --elect-preferred-leaders and elect afterwards with kafka-leader-election.sh --election-type PREFERRED --all-topic-partitions.',
    },
  );
}

export interface ElectionDecision {
  on: boolean;
  reason: string;
}

/**
 * Whether this run elects, decided before the first restart: the flag when given (an error when
 * the reader cannot ask), otherwise on when a broker has auto.leader.rebalance.enable=false and
 * the reader can ask.
 */
export async function decideElection(plan: Plan, deps: EngineDeps): Promise<ElectionDecision> {
  // A run that restarts nothing (a client gate, a finished plan) moves no leader: nothing is read.
  if (!restartsAnyBroker(plan)) return NOTHING_RESTARTED;
  const flag = deps.options.electPreferredLeaders;
  const canAsk = deps.cluster.electPreferredLeaders !== undefined;
  if (flag === false) return { on: false, reason: '--no-elect-preferred-leaders' };
  if (flag === true && !canAsk) throw electionUnsupported();
  if (flag === true) return { on: true, reason: '--elect-preferred-leaders' };
  if (plan.kind === 'migration') return { on: false, reason: 'not during a migration (pass --elect-preferred-leaders to ask)' };
  const off: number[] = [];
  for (const b of deps.inventory.brokers) {
    const config = parseProperties(await (await deps.host(b.id)).readConfig());
    if ((config['auto.leader.rebalance.enable'] ?? 'true').trim().toLowerCase() === 'false') off.push(b.id);
  }
  if (off.length === 0) return { on: false, reason: 'auto.leader.rebalance.enable is on: the controller moves the leaders back by itself' };
  if (!canAsk)
    return {
      on: false,
      reason: `auto.leader.rebalance.enable=false on broker(s) ${off.join(',')}, but this cluster reader cannot ask for an election`,
    };
  return { on: true, reason: `auto.leader.rebalance.enable=false on broker(s) ${off.join(',')}` };
}

const NOTHING_RESTARTED: ElectionDecision = { on: false, reason: 'no broker is restarted' };

function restartsAnyBroker(plan: Plan): boolean {
  return plan.phases.some((phase) => !phase.skipped && phase.steps.some((step) => !step.skipped));
}

/** The elections of one run: started with the imbalance before it, asked after each broker or batch, reported at the end. */
export class Elections {
  private requests = 0;
  private moved = 0;
  private notBack = 0;

  private constructor(
    private readonly deps: EngineDeps,
    private readonly decision: ElectionDecision,
    private readonly before: number,
    private readonly warn: (message: string, phase?: string, broker?: number) => void,
    private readonly timeoutMs: number,
  ) {}

  static async start(
    plan: Plan,
    deps: EngineDeps,
    warn: (message: string, phase?: string, broker?: number) => void,
    timeoutMs = ELECTION_TIMEOUT_MS,
  ): Promise<Elections> {
    const decision = await decideElection(plan, deps);
    const before = decision === NOTHING_RESTARTED ? 0 : imbalanced(await deps.cluster.snapshot()).length;
    deps.journal.append({ event: 'elect.decided', detail: { on: decision.on, reason: decision.reason, imbalanced: before } });
    return new Elections(deps, decision, before, warn, timeoutMs);
  }

  get on(): boolean {
    return this.decision.on;
  }

  /** After `brokers` are back and caught up: move their preferred leaderships back to them and wait (bounded) until done. */
  async after(phase: string, brokers: number[]): Promise<void> {
    if (!this.decision.on || brokers.length === 0) return;
    const { deps } = this;
    const elect = deps.cluster.electPreferredLeaders?.bind(deps.cluster);
    if (!elect) return;
    const set = new Set(brokers);
    const names = [...set].sort((a, b) => a - b).join(',');
    const broker = brokers.length === 1 ? brokers[0] : undefined;
    const deadline = deps.clock.now() + this.timeoutMs;
    let snapshot = await deps.cluster.snapshot();
    const targets = electableFor(snapshot, set);
    if (targets.length === 0) {
      deps.journal.append({ event: 'elect.none', phase, detail: { brokers: [...set] } });
      return;
    }
    const wanted = new Map(targets.map((p) => [`${p.topic}\0${p.partition}`, p.replicas[0] as number]));
    const notBack = (s: ClusterSnapshot) =>
      s.partitions.filter((p) => wanted.has(`${p.topic}\0${p.partition}`) && p.leader !== wanted.get(`${p.topic}\0${p.partition}`));
    deps.journal.append({ event: 'elect.start', phase, detail: { brokers: [...set], partitions: targets.length } });
    deps.io.event({
      code: 'gate.wait',
      phase,
      ...(broker !== undefined ? { broker } : {}),
      message: `preferred leader election: moving ${targets.length} partition(s) back to broker(s) ${names}`,
    });
    const timeLeft = () => Math.max(0, deadline - deps.clock.now());
    let asked = false;
    let lastError: KafkaOpsError | undefined;
    for (;;) {
      const pending = (snapshot.leadershipChangesPending ?? []).includes(PENDING);
      if (!asked && !pending) {
        try {
          await elect(targets.map((p) => ({ topic: p.topic, partition: p.partition })));
          asked = true;
          this.requests++;
          this.moved += targets.length;
        } catch (error) {
          // One still pending (another operator's, or ours not cleared yet) finishes first; then ask again.
          if (!(error instanceof KafkaOpsError)) throw error;
          lastError = error;
          if (!error.retriable) break;
        }
      }
      if (asked && !pending && notBack(snapshot).length === 0) break;
      if (timeLeft() === 0 || deps.interrupted.aborted) break;
      await deps.cluster.changed(Math.min(deps.options.maxPollMs, Math.max(1, timeLeft())));
      snapshot = await deps.cluster.snapshot();
    }
    const left = notBack(snapshot);
    this.notBack += left.length;
    deps.journal.append({
      event: 'elect.done',
      phase,
      detail: {
        brokers: [...set],
        partitions: targets.length,
        asked,
        notBack: left.length,
        ...(lastError && !asked ? { error: lastError.code } : {}),
      },
    });
    if (!asked)
      this.warn(
        `Preferred leader election for broker(s) ${names} was not made: ${lastError?.message ?? `another election was still pending after ${Math.round(this.timeoutMs / 1000)} s`}. The roll goes on; the leaders stay where they are.`,
        phase,
        broker,
      );
    else if (left.length > 0)
      this.warn(
        `Preferred leader election for broker(s) ${names}: ${left.length} of ${targets.length} partition(s) not led by their preferred replica after ${Math.round(this.timeoutMs / 1000)} s (${left
          .slice(0, 5)
          .map((p) => `${p.topic}-${p.partition}`)
          .join(', ')}). The roll goes on.`,
        phase,
        broker,
      );
  }

  async report(): Promise<LeaderElectionReport> {
    const snapshot = await this.deps.cluster.snapshot();
    return {
      elected: this.requests > 0,
      reason: this.decision.reason,
      requests: this.requests,
      moved: this.moved,
      notBack: this.notBack,
      partitions: snapshot.partitions.length,
      before: this.before,
      after: imbalanced(snapshot).length,
    };
  }
}
