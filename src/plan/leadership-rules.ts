/**
 * The rules of the engine's leadership-settled gate (src/engine/leadership.ts) a cluster needs,
 * by protocol version: pure, shared by the engine (decided on what the brokers run) and the
 * plan preview (what the plan expects).
 */
import { compareProtocol, resolveProtocolVersion } from './versions.js';

/**
 * Which of the gate's rules a cluster needs, by the lowest inter.broker.protocol.version its
 * brokers run (a follower truncates the way its own IBP says):
 * - a leadership change requested through ZooKeeper and still in progress holds on every
 *   release (the stop would race an operator's own election or reassignment);
 * - the time rules (the quiet period after leader moves, someone else's election, the
 *   controller's automatic rebalance) guard against a second leader change while followers
 *   refetch what they truncated. Before IBP 0.11.0-IV2 followers truncate to their high
 *   watermark (no leader epochs, KIP-101); up to 1.1 leader-epoch truncation still lets two
 *   quick leader changes make replicas diverge (fixed by KIP-279, OffsetsForLeaderEpoch v1,
 *   IBP 2.0-IV0). From 2.0-IV0 on followers truncate by leader epoch only: the time rules are off.
 */
export interface LeadershipRules {
  /** The quiet period after leader moves and the hold for the controller's automatic rebalance. */
  settleAfterMoves: boolean;
  /** The lowest IBP the brokers run, as resolved ("2.8-IV1"); absent when it could not be told. */
  interBrokerProtocol?: string;
  /** Why, in a sentence: for the plan preview, the run's output and the journal. */
  reason: string;
}

/** The protocol version from which followers truncate by leader epoch alone (KIP-101 + KIP-279). */
export const EPOCH_TRUNCATION_FROM = '2.0-IV0';
const LEADER_EPOCHS_FROM = '0.11.0-IV2';

/** Every rule: what a cluster whose protocol version is not known gets. */
export const ALL_LEADERSHIP_RULES: LeadershipRules = {
  settleAfterMoves: true,
  reason: 'the inter.broker.protocol.version the brokers run is not known: every rule holds, as for clusters before 2.0',
};

/** The rules for the lowest IBP the brokers run (a config value, "0.10.2", "2.8-IV1"), undefined when not known. */
export function leadershipRulesFor(interBrokerProtocol: string | undefined): LeadershipRules {
  const ibp = interBrokerProtocol === undefined ? undefined : resolveProtocolVersion(interBrokerProtocol);
  if (ibp === undefined) return ALL_LEADERSHIP_RULES;
  if (compareProtocol(ibp, LEADER_EPOCHS_FROM) < 0)
    return {
      settleAfterMoves: true,
      interBrokerProtocol: ibp,
      reason: `IBP ${ibp} has no leader epochs (KIP-101, 0.11.0-IV2): followers truncate to their high watermark on a leader change, so no stop begins while leaders move or are about to (the controller's rebalance)`,
    };
  if (compareProtocol(ibp, EPOCH_TRUNCATION_FROM) < 0)
    return {
      settleAfterMoves: true,
      interBrokerProtocol: ibp,
      reason: `IBP ${ibp} truncates by leader epoch but without KIP-279 (2.0-IV0): two leader changes in quick succession can still make replicas diverge, so no stop begins while leaders move or are about to (the controller's rebalance)`,
    };
  return {
    settleAfterMoves: false,
    interBrokerProtocol: ibp,
    reason: `IBP ${ibp} truncates by leader epoch (KIP-101, KIP-279): a second leader change cannot cut acknowledged messages, so only a requested leadership change in progress holds a stop (no quiet period, no wait for the controller's rebalance)`,
  };
}

/** The lowest of the brokers' protocol versions; undefined when any is not known. */
export function lowestProtocol(versions: ReadonlyArray<string | undefined>): string | undefined {
  const resolved = versions.map((v) => (v === undefined ? undefined : resolveProtocolVersion(v)));
  if (resolved.length === 0 || resolved.some((v) => v === undefined)) return undefined;
  return (resolved as string[]).reduce((low, v) => (compareProtocol(v, low) < 0 ? v : low));
}
