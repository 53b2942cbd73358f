/**
 * The engine's one concession to executors whose stop replaces the broker (a StatefulSet
 * recreates a deleted pod at once from its template): the new release is activated before
 * the stop there, and between stop and start everywhere else. Recorded on a host double.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/store/journal.js';
import { applyPlan } from '../../src/engine/roll.js';
import type { BrokerHost, HostFacts } from '../../src/hosts/port.js';
import { brokerProcess, oneBrokerDeps, oneBrokerPlan } from '../helpers/engine-doubles.js';

const FROM = '/opt/kafka_2.11-0.8.2.2';
const TO = '/opt/kafka_2.11-0.9.0.1';

function recordingHost(replacesOnStop: boolean | undefined, calls: string[]): BrokerHost {
  let link = FROM;
  const broker = brokerProcess(calls);
  return {
    brokerId: 1,
    ...(replacesOnStop === undefined ? {} : { replacesOnStop }),
    facts: async (): Promise<HostFacts> => ({
      ...broker.process(),
      linkTarget: link,
      installs: { '0.8.2.2': { present: true, release: '0.8.2.2' }, '0.9.0.1': { present: true, release: '0.9.0.1' } },
      configModifiedAtMs: 0,
      linkModifiedAtMs: 0,
    }),
    readConfig: async () => 'broker.id=1\nzookeeper.connect=zk:2181\nlog.dirs=/data\n',
    writeConfig: async () => 'backup',
    activateRelease: async () => {
      calls.push('activate');
      link = TO;
    },
    ...broker.methods,
  };
}

const plan = oneBrokerPlan('upgrade', { from: '0.8.2', to: '0.9.0' }, 'swap-binaries', {
  changes: {},
  install: { link: '/opt/kafka', from: FROM, to: TO, release: '0.9.0.1' },
});

async function run(replacesOnStop: boolean | undefined): Promise<string[]> {
  const calls: string[] = [];
  const host = recordingHost(replacesOnStop, calls);
  await applyPlan(plan, oneBrokerDeps(host, new FileJournal(mkdtempSync(join(tmpdir(), 'kafka-ops-order-')), 'test')));
  return calls;
}

describe('when the new release is activated', () => {
  it('between stop and start on a host that keeps the broker stopped (ssh)', async () => {
    expect(await run(undefined)).toEqual(['stop', 'activate', 'start']);
    expect(await run(false)).toEqual(['stop', 'activate', 'start']);
  });

  it('before the stop on a host whose stop replaces the broker (kubernetes)', async () => {
    expect(await run(true)).toEqual(['activate', 'stop', 'start']);
  });
});
