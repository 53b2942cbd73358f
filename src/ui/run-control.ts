/** The human form of `status`, `abort` and `unlock`. */
import type { AbortResult, LockView, StatusResult, UnlockResult } from '../results.js';
import { describeHolder } from '../store/lock-holder.js';
import { whereRunIs, type Output } from './output.js';

const lockLine = (name: string, lock: LockView) =>
  `  ${name} lock: ${describeHolder(lock.holder)} — ${lock.liveness === 'gone' ? 'holder gone (stale)' : lock.liveness === 'alive' ? 'holder running' : 'holder on another host (not checkable here)'}`;

export function renderStatus(s: StatusResult, output: Output): void {
  const run = s.run;
  const what = run ? `${run.kind ?? 'run'}${run.from ? ` ${run.from} → ${run.to}` : ''}, started ${run.startedAt}` : '';
  output.line(`Cluster ${s.cluster}: ${s.state}${what ? ` (${what})` : ''}`);
  if (run && s.state !== 'none') {
    const at = whereRunIs(run);
    output.line(`  last: ${run.last.event}${at ? ` at ${at}` : ''} (${run.last.at})`);
    output.line(`  brokers done: ${run.brokersDone.join(', ') || 'none'}`);
    if (run.brokerMidStep) output.line(`  broker ${run.brokerMidStep.broker} stopped mid-step, after ${run.brokerMidStep.lastSubStep}`);
    if (run.stopped && (s.state === 'halted' || s.state === 'interrupted'))
      output.line(`  why: ${run.stopped.code ? `${run.stopped.code}: ` : ''}${run.stopped.message ?? ''}`);
  }
  if (s.locks.local) output.line(lockLine('local', s.locks.local));
  if (s.locks.zookeeper) output.line(lockLine('ZooKeeper', s.locks.zookeeper));
  if (s.locks.zookeeperError) output.line(`  ZooKeeper lock: not read (${s.locks.zookeeperError})`);
  output.line(`  journal: ${s.journalDir}`);
  output.line(`Next: ${s.next}`);
}

export function renderAbort(r: AbortResult, output: Output): void {
  output.line(r.aborted ? `Aborted the unfinished run of ${r.cluster}; resume will not continue it.` : 'Not aborted; nothing changed.');
  output.line(`Brokers: ${r.brokers}`);
  output.line(`Journal: ${r.journal}`);
}

export function renderUnlock(r: UnlockResult, output: Output): void {
  if (r.removed.length === 0) output.line(`No lock of cluster ${r.cluster} was held.`);
  for (const lock of r.removed) output.line(`Removed ${lock.where} (held by ${describeHolder(lock.holder)}).`);
}
