/** Findings `check` and `verify` share: hosts reached, processes running, cluster registered and fully replicated. Pure. */
import type { ClusterSnapshot } from '../cluster/port.js';
import { offlinePartitions, partitionLabel, underReplicatedPartitions } from '../engine/gates.js';
import type { BrokerSpec } from '../inventory/model.js';
import type { BrokerObservation, ClusterObservation, Finding } from './model.js';

/** Up to `max` items, then "and N more". */
export function listed(items: readonly string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function processRef(spec: BrokerSpec): string {
  return spec.run.kind === 'systemd' ? `systemd unit ${spec.run.unit}` : `pid file ${spec.run.pidFile}`;
}

/** Reachability and the broker process; the brokers whose host could be examined are returned for the other rules. */
export function hostFindings(brokers: readonly BrokerObservation[], out: Finding[]): BrokerObservation[] {
  const examined: BrokerObservation[] = [];
  for (const b of brokers) {
    const { spec } = b;
    if (b.unreachable || !b.facts) {
      out.push({
        id: 'host-reachable',
        severity: 'error',
        broker: spec.id,
        message: `Broker ${spec.id} (${spec.host}:${spec.ssh.port}) could not be examined: ${b.unreachable?.message ?? 'no facts reported'}`,
        fix: b.unreachable?.action ?? `Check SSH access to ${spec.host}.`,
      });
      continue;
    }
    examined.push(b);
    if (!b.facts.process) {
      out.push({
        id: 'broker-process',
        severity: 'error',
        broker: spec.id,
        message: `Broker ${spec.id}: no running broker process on ${spec.host} (${processRef(spec)}).`,
        fix: `Start broker ${spec.id} (or fix \`run\` in the inventory), wait until it is registered and caught up, then check again.`,
      });
    }
  }
  return examined;
}

/** The cluster state: every inventory broker registered, nothing offline or under-replicated. Undefined snapshot when unreadable. */
export function clusterFindings(cluster: ClusterObservation, brokerIds: readonly number[], out: Finding[]): ClusterSnapshot | undefined {
  const { snapshot, unreachable } = cluster;
  if (!snapshot) {
    out.push({
      id: 'cluster-reachable',
      severity: 'error',
      message: `The cluster state could not be read: ${unreachable?.message ?? 'no snapshot'}`,
      fix: unreachable?.action ?? 'Check `state.zookeeper` in the inventory and that ZooKeeper is up.',
    });
    return undefined;
  }
  for (const id of brokerIds.filter((id) => !snapshot.brokers.includes(id))) {
    out.push({
      id: 'brokers-registered',
      severity: 'error',
      broker: id,
      message: `Broker ${id} is not registered in the cluster.`,
      fix: `Start broker ${id} or find out why it left the cluster (its server.log), then check again.`,
    });
  }
  const unknown = snapshot.brokers.filter((id) => !brokerIds.includes(id));
  if (unknown.length > 0) {
    out.push({
      id: 'brokers-registered',
      severity: 'warning',
      message: `Broker(s) ${unknown.join(', ')} are registered but not in the inventory; kafka-ops would not upgrade them.`,
      fix: 'Add them to the inventory.',
    });
  }
  const offline = offlinePartitions(snapshot).map(partitionLabel);
  if (offline.length > 0) {
    out.push({
      id: 'no-offline-partitions',
      severity: 'error',
      message: `${offline.length} partition(s) have no live leader: ${listed(offline)}.`,
      fix: 'Bring the brokers holding their replicas back before any restart.',
    });
  }
  const urp = underReplicatedPartitions(snapshot);
  for (const topic of [...new Set(urp.map((p) => p.topic))]) {
    const parts = urp.filter((p) => p.topic === topic).map(partitionLabel);
    out.push({
      id: 'no-under-replicated-partitions',
      severity: 'error',
      topic,
      message: `Topic ${topic}: ${parts.length} partition(s) under-replicated: ${listed(parts)}.`,
      fix: 'Wait until every replica is back in the ISR (check the brokers missing from it), then check again.',
    });
  }
  return snapshot;
}
