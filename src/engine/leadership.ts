/**
 * The "leadership settled" pre-stop gate: no broker is stopped while partition leadership is
 * moving, or about to move, for reasons other than that stop.
 *
 * Why: when a partition's leader changes, ZooKeeper-mode Kafka before 0.11 (no leader epochs in
 * the log, KIP-101) has every follower truncate its log to its own high watermark, which lags the
 * leader's by one fetch, and refetch. The follower stays in the ISR meanwhile. A second leader
 * change inside that window can elect such a follower and lose messages acknowledged with
 * acks=all. A rolling restart makes one leader change per stop; the danger is a second one on
 * top of it. Two sources of those are known ahead of time:
 * - a leadership change requested through ZooKeeper (/admin nodes) that has not finished;
 * - the controller's automatic leader rebalance (`auto.leader.rebalance.enable`, on by default):
 *   a ZooKeeper-mode controller first checks leader imbalance 5 s after it takes over (plus the
 *   time its start-up takes), then every `leader.imbalance.check.interval.seconds`, and moves
 *   leadership back to the preferred replicas of every broker leading too few of them. The
 *   rolling restart moves the controller once per phase (it goes last) and leaves the broker
 *   just restarted leading nothing, so the next phase's first stop would otherwise race that
 *   first check. What the check will move can be worked out from the snapshot; when it moves
 *   nothing, nothing is held.
 *
 * Pure except for the state it keeps from one snapshot to the next.
 */
import type { ClusterSnapshot } from '../cluster/port.js';
import { ALL_LEADERSHIP_RULES, type LeadershipRules } from '../plan/leadership-rules.js';
import { partitionIndex, partitionLabel, partitionsOf } from './gates.js';

/** Kafka's ZooKeeper-mode controller runs its first leader-imbalance check this long after it takes over. */
export const CONTROLLER_FIRST_REBALANCE_CHECK_MS = 5000;

export interface LeadershipSettleOptions {
  /**
   * How long after a leader change followers are given to refetch what they truncated: twice the
   * back-off of a follower whose first fetch reached the new leader too early
   * (`replica.fetch.backoff.ms`, 1 s by default).
   */
  quietMs: number;
  /**
   * How long before a scheduled automatic rebalance check no stop begins: the stop's own leader
   * moves (a controlled shutdown takes up to ~2 s) must end `quietMs` before the check.
   */
  leadMs: number;
  /** How late after its schedule a check may still come (the controller's start-up, a busy controller). */
  slackMs: number;
}

export const DEFAULT_LEADERSHIP_SETTLE: LeadershipSettleOptions = { quietMs: 2000, leadMs: 4000, slackMs: 10_000 };

export interface AutoRebalance {
  enabled: boolean;
  intervalMs: number;
  /** A broker leading fewer than (100 − this) % of the partitions it prefers gets them back. */
  imbalancePercent: number;
}

/** The controller's automatic rebalance, as a broker's server.properties sets it (Kafka's defaults otherwise). */
export function autoRebalanceOf(config: Record<string, string>): AutoRebalance {
  const positive = (key: string, fallback: number): number => {
    const value = Number(config[key] ?? fallback);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    enabled: (config['auto.leader.rebalance.enable'] ?? 'true').trim().toLowerCase() !== 'false',
    intervalMs: (positive('leader.imbalance.check.interval.seconds', 300) || 300) * 1000,
    imbalancePercent: positive('leader.imbalance.per.broker.percentage', 10),
  };
}

/**
 * The partitions the controller's leader-imbalance check would move now: for every registered
 * broker leading more than `imbalancePercent` % too few of the partitions whose first replica it
 * is, those of them it is in the ISR of (Kafka's check, as the ZooKeeper-mode controller runs it).
 */
export function rebalanceMoves(snapshot: ClusterSnapshot, imbalancePercent: number): string[] {
  const { byPreferred } = partitionIndex(snapshot);
  const moves: string[] = [];
  for (const broker of snapshot.brokers) {
    const preferring = partitionsOf(byPreferred, broker);
    const notLed = preferring.filter((p) => p.leader !== broker);
    if (preferring.length === 0 || notLed.length / preferring.length <= imbalancePercent / 100) continue;
    moves.push(...notLed.filter((p) => p.isr.includes(broker)).map(partitionLabel));
  }
  return moves.sort();
}

export interface LeadershipHold {
  message: string;
  /** When the hold ends at the latest; absent when only a cluster event ends it (a request finishing). */
  untilMs?: number;
}

interface SeenLeadership {
  leader: number;
  leaderEpoch?: number;
  /** When this partition's leader or leader epoch was last seen to change. */
  movedAtMs?: number;
}

export class LeadershipTracker {
  /** topic → partition → what was last seen of its leadership. */
  private readonly seen = new Map<string, Map<number, SeenLeadership>>();
  /**
   * Last time a partition was seen with another leader outside kafka-ops' own stops: an election
   * someone else made (the controller's rebalance, an operator, a broker failing). Epoch bumps
   * alone are left out: the controller makes those when it shrinks an ISR, with no truncation.
   */
  private lastForeignChangeAtMs?: number;
  /** Stops of this run under way (a batch stops several brokers at once). */
  private ownStops = 0;
  private controllerSeen?: number;
  private controllerSinceMs?: number;

  private rules: LeadershipRules = ALL_LEADERSHIP_RULES;

  constructor(private readonly options: LeadershipSettleOptions = DEFAULT_LEADERSHIP_SETTLE) {}

  /** The rules the cluster needs from now on (see leadershipRulesFor); every rule until told. */
  useRules(rules: LeadershipRules): void {
    this.rules = rules;
  }

  /** While kafka-ops' own stop of a broker is under way, the moves seen are that stop's. */
  duringOwnStop(active: boolean): void {
    this.ownStops = Math.max(0, this.ownStops + (active ? 1 : -1));
  }

  /** Every snapshot the engine reads passes here, so moves between two gates are not missed. */
  observe(snapshot: ClusterSnapshot, nowMs: number): void {
    for (const p of snapshot.partitions) {
      let ofTopic = this.seen.get(p.topic);
      if (!ofTopic) this.seen.set(p.topic, (ofTopic = new Map()));
      const before = ofTopic.get(p.partition);
      // Unchanged: nothing to record (most partitions, most of the time, on clusters of any size).
      if (before && before.leader === p.leader && before.leaderEpoch === p.leaderEpoch) continue;
      if (before && before.leader !== p.leader && this.ownStops === 0) this.lastForeignChangeAtMs = nowMs;
      const now: SeenLeadership = { leader: p.leader, ...(p.leaderEpoch !== undefined ? { leaderEpoch: p.leaderEpoch } : {}) };
      ofTopic.set(p.partition, before ? { ...now, movedAtMs: nowMs } : now);
    }
    const since = snapshot.controllerSinceMs;
    // Undefined while an election is under way: the next controller's node tells when it ends.
    if (since !== undefined && since !== this.controllerSeen) {
      // First sight: ZooKeeper's creation time is all there is. A change seen during the run is
      // timed on this machine's clock instead: never earlier than the real one, whatever the skew.
      this.controllerSinceMs = this.controllerSeen === undefined ? Math.min(since, nowMs) : nowMs;
      this.controllerSeen = since;
    }
  }

  /**
   * Why stopping `brokerId` must not begin now (given the snapshot just observed), or undefined.
   * Its stop moves the leadership of the partitions it leads, so those must not have moved within
   * the quiet period; and no stop begins right after, or while, someone else moves leaders (their
   * elections come in batches that may reach this broker's partitions next).
   */
  hold(snapshot: ClusterSnapshot, nowMs: number, autoRebalance: AutoRebalance, brokerId: number): LeadershipHold | undefined {
    const pending = snapshot.leadershipChangesPending ?? [];
    if (pending.length > 0) return { message: `a ${pending.join(' and a ')} is in progress.` };
    if (!this.rules.settleAfterMoves) return undefined;
    const { quietMs, leadMs, slackMs } = this.options;
    const refetch = `followers get ${seconds(quietMs)} s to refetch what they truncated`;
    const recent = partitionsOf(partitionIndex(snapshot).byLeader, brokerId)
      .map((p) => ({ label: partitionLabel(p), movedAtMs: this.seen.get(p.topic)?.get(p.partition)?.movedAtMs }))
      .filter((p): p is { label: string; movedAtMs: number } => p.movedAtMs !== undefined && nowMs < p.movedAtMs + quietMs);
    if (recent.length > 0) {
      const last = recent.reduce((m, p) => Math.max(m, p.movedAtMs), -Infinity);
      return {
        message: `the leadership of ${recent.map((p) => p.label).join(', ')} (now on broker ${brokerId}) changed ${seconds(nowMs - last)} s ago and this stop moves it again; ${refetch}.`,
        untilMs: last + quietMs,
      };
    }
    if (this.lastForeignChangeAtMs !== undefined && nowMs < this.lastForeignChangeAtMs + quietMs) {
      return {
        message: `partition leaders were moved ${seconds(nowMs - this.lastForeignChangeAtMs)} s ago by an election kafka-ops did not make; ${refetch}.`,
        untilMs: this.lastForeignChangeAtMs + quietMs,
      };
    }
    if (!autoRebalance.enabled || this.controllerSinceMs === undefined) return undefined;
    const moves = rebalanceMoves(snapshot, autoRebalance.imbalancePercent);
    if (moves.length === 0) return undefined;
    const firstCheck = this.controllerSinceMs + CONTROLLER_FIRST_REBALANCE_CHECK_MS;
    // The first scheduled check that may still come; held from `leadMs` before it (the first
    // one: from the moment the controller took over) until it came or its slack is over. An
    // election by someone else seen once it is due is taken as the check: the quiet period
    // above holds after it.
    const k = Math.max(0, Math.floor((nowMs - slackMs - firstCheck) / autoRebalance.intervalMs) + 1);
    const check = firstCheck + k * autoRebalance.intervalMs;
    const due = k === 0 ? this.controllerSinceMs : check - leadMs;
    if (nowMs < due) return undefined;
    // (Strictly later than the read that showed the new controller, which may also show the
    // moves of the old one's controlled shutdown.)
    if (this.lastForeignChangeAtMs !== undefined && this.lastForeignChangeAtMs > Math.max(due, this.controllerSinceMs)) return undefined;
    const when = k === 0 ? `${seconds(CONTROLLER_FIRST_REBALANCE_CHECK_MS)} s after it took over` : 'on its schedule';
    return {
      message: `the controller (broker ${snapshot.controller}) is about to give ${moves.length} partition(s) back to their preferred leaders (its automatic rebalance, ${when}); waiting for that first.`,
      untilMs: check + slackMs,
    };
  }
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);
