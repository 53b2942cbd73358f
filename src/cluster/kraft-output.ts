/**
 * Reading what the KRaft tools print (Kafka's FeatureCommand and MetadataQuorumCommand).
 * Both print one record per line; the formats parsed here are the documented ones:
 *
 *   kafka-features.sh describe:
 *     Feature: metadata.version<TAB>SupportedMinVersion: 3.0-IV1<TAB>SupportedMaxVersion: 3.9-IV0<TAB>FinalizedVersionLevel: 3.9-IV0<TAB>Epoch: 5
 *     (the 4.4 tool pads with spaces instead of tabs, and prints "UNKNOWN 1" for a level it
 *     cannot name, e.g. the 3.0-IV1 minimum a 3.9 node supports)
 *   kafka-metadata-quorum.sh describe --replication (a header, then one row per replica;
 *   3.9+ adds a DirectoryId column):
 *     NodeId  [DirectoryId]  LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status
 *   kafka-metadata-quorum.sh describe --status ("Key: value" lines; voters as [1,2,3] before
 *   3.9 and as a JSON-like list of {"id": …} objects from 3.9 on).
 *
 * Anything else is an error naming what was expected, never a silent guess.
 */
import { InfrastructureError } from '../errors.js';
import type { FinalizedFeatures, QuorumReplica, QuorumStatus } from './kraft-port.js';
import { metadataVersionOfLevel } from '../plan/versions.js';

export interface DescribedFeature {
  feature: string;
  supportedMin: string;
  supportedMax: string;
  /** undefined when the level is 0 / not finalized. */
  finalized?: string;
  epoch?: number;
}

function unreadable(tool: string, what: string, text: string): InfrastructureError {
  const sample = text.trim().split('\n').slice(0, 3).join(' | ').slice(0, 300);
  return new InfrastructureError(`Could not read the output of ${tool}: ${what}. It printed: ${sample || '(nothing)'}`, {
    code: 'KRAFT_TOOL_OUTPUT',
    action: `Run the same ${tool} command on the tools node by hand; check that the install link points at a Kafka 3.3+ install and that the bootstrap address in \`kraft\` answers.`,
    retriable: false,
  });
}

/** Parse `kafka-features.sh describe`. */
export function parseFeaturesDescribe(text: string): DescribedFeature[] {
  const features: DescribedFeature[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('Feature:')) continue;
    const fields = new Map<string, string>();
    // A 4.x tool prints a level it has no name for as "UNKNOWN 1" (the 3.0-IV1 minimum of a 3.x node).
    const named = line.replace(
      /:\s*UNKNOWN\s+(-?\d+)/g,
      (_all, level: string) => `: ${metadataVersionOfLevel(Number(level)) ?? `UNKNOWN-${level}`}`,
    );
    for (const match of named.matchAll(/([A-Za-z]+):\s*(\S+)/g)) fields.set(match[1] as string, match[2] as string);
    const feature = fields.get('Feature');
    const supportedMin = fields.get('SupportedMinVersion');
    const supportedMax = fields.get('SupportedMaxVersion');
    if (!feature || !supportedMin || !supportedMax)
      throw unreadable('kafka-features.sh describe', `a Feature line without its supported range`, line);
    const finalized = fields.get('FinalizedVersionLevel');
    const epoch = Number(fields.get('Epoch'));
    features.push({
      feature,
      supportedMin,
      supportedMax,
      ...(finalized && finalized !== '0' && finalized !== '-' ? { finalized } : {}),
      ...(Number.isInteger(epoch) ? { epoch } : {}),
    });
  }
  if (!features.some((f) => f.feature === 'metadata.version'))
    throw unreadable('kafka-features.sh describe', 'no metadata.version feature (is this a KRaft cluster of 3.3 or later?)', text);
  return features;
}

/** The finalized levels in a describe output. */
export function finalizedFeaturesOf(features: readonly DescribedFeature[]): FinalizedFeatures {
  const metadata = features.find((f) => f.feature === 'metadata.version')?.finalized;
  const kraft = features.find((f) => f.feature === 'kraft.version');
  return {
    ...(metadata ? { metadataVersion: metadata } : {}),
    ...(kraft ? { kraftVersion: kraft.finalized === undefined ? 0 : Number(kraft.finalized) } : {}),
  };
}

const STATUSES = new Set(['Leader', 'Follower', 'Observer']);

/** Parse `kafka-metadata-quorum.sh describe --replication`, by column name (the 3.9 DirectoryId column shifts positions). */
export function parseQuorumReplication(text: string): QuorumReplica[] {
  const tool = 'kafka-metadata-quorum.sh describe --replication';
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const headerAt = lines.findIndex((l) => /^NodeId\s/.test(l) || /^ReplicaId\s/.test(l));
  if (headerAt < 0) throw unreadable(tool, 'no header line starting with NodeId', text);
  const header = (lines[headerAt] as string).split(/\s+/);
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw unreadable(tool, `no ${name} column`, text);
    return index;
  };
  const idAt = header[0] === 'ReplicaId' ? 0 : column('NodeId');
  const at = {
    leo: column('LogEndOffset'),
    lag: column('Lag'),
    fetch: header.includes('LastFetchTimestamp') ? column('LastFetchTimestamp') : column('LastFetchTimeMs'),
    caughtUp: header.includes('LastCaughtUpTimestamp') ? column('LastCaughtUpTimestamp') : column('LastCaughtUpTimeMs'),
    status: column('Status'),
  };
  return lines.slice(headerAt + 1).map((line) => {
    const cells = line.split(/\s+/);
    const number = (index: number, name: string) => {
      const value = Number(cells[index]);
      if (!Number.isInteger(value)) throw unreadable(tool, `${name} "${cells[index] ?? ''}" is not a number`, line);
      return value;
    };
    const status = cells[at.status] ?? '';
    if (!STATUSES.has(status)) throw unreadable(tool, `status "${status}" is not Leader, Follower or Observer`, line);
    return {
      nodeId: number(idAt, 'NodeId'),
      logEndOffset: number(at.leo, 'LogEndOffset'),
      lag: number(at.lag, 'Lag'),
      lastFetchTimestamp: number(at.fetch, 'LastFetchTimestamp'),
      lastCaughtUpTimestamp: number(at.caughtUp, 'LastCaughtUpTimestamp'),
      status: status as QuorumReplica['status'],
    };
  });
}

/** Node ids of a CurrentVoters / CurrentObservers value: `[1,2,3]` or `[{"id": 1, …}, …]`. */
function nodeIds(value: string): number[] {
  if (value.includes('{')) return [...value.matchAll(/"id"\s*:\s*(-?\d+)/g)].map((m) => Number(m[1]));
  return [...value.matchAll(/-?\d+/g)].map((m) => Number(m[0]));
}

/** Parse `kafka-metadata-quorum.sh describe --status`. */
export function parseQuorumStatus(text: string): QuorumStatus {
  const tool = 'kafka-metadata-quorum.sh describe --status';
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+):\s*(.*)$/.exec(line.trim());
    if (match) fields.set(match[1] as string, (match[2] as string).trim());
  }
  const number = (key: string, fallback?: number) => {
    const raw = fields.get(key);
    if (raw === undefined && fallback !== undefined) return fallback;
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value))
      throw unreadable(tool, `${key} is ${raw === undefined ? 'missing' : `"${raw}", not a number`}`, text);
    return value;
  };
  const voters = fields.get('CurrentVoters');
  if (voters === undefined) throw unreadable(tool, 'CurrentVoters is missing', text);
  return {
    clusterId: fields.get('ClusterId') ?? '',
    leaderId: number('LeaderId'),
    leaderEpoch: number('LeaderEpoch'),
    highWatermark: number('HighWatermark'),
    maxFollowerLag: number('MaxFollowerLag'),
    // Absent while the quorum has no leader.
    maxFollowerLagTimeMs: number('MaxFollowerLagTimeMs', -1),
    voters: nodeIds(voters),
    observers: nodeIds(fields.get('CurrentObservers') ?? '[]'),
  };
}
