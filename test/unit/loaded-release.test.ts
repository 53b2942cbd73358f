/**
 * What `sandbox status` reports as the release a broker runs comes from the process itself
 * (the core jar it holds open, read from /proc) and from its log's version line, never from
 * the sandbox's own files.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseFromLog, releaseFromOpenFiles } from '../../src/sandbox/loaded-release.js';

describe('loaded release', () => {
  it('reads the version line of old and new brokers, the last start winning', () => {
    const log = [
      '[2026-12-02 19:35:00,001] INFO Kafka version : 0.10.2.2 (org.apache.kafka.common.utils.AppInfoParser)',
      '[2026-12-02 19:36:00,001] INFO Kafka version : 0.11.0.3 (org.apache.kafka.common.utils.AppInfoParser)',
    ].join('\n');
    expect(releaseFromLog(log)).toBe('0.11.0.3');
    expect(releaseFromLog('[x] INFO Kafka version: 3.9.2 (org.apache.kafka.common.utils.AppInfoParser)')).toBe('3.9.2');
    expect(releaseFromLog('nothing here')).toBeUndefined();
  });

  it('finds the core jar a process holds open in /proc/PID/fd', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-loaded-'));
    try {
      expect(releaseFromOpenFiles(process.pid)).toBeUndefined();
      for (const name of ['kafka-clients-9.9.9.jar', 'kafka_2.12-9.9.9.jar']) writeFileSync(join(dir, name), '');
      const fds = ['kafka-clients-9.9.9.jar', 'kafka_2.12-9.9.9.jar'].map((n) => openSync(join(dir, n), 'r'));
      try {
        expect(releaseFromOpenFiles(process.pid)).toBe('9.9.9');
      } finally {
        for (const fd of fds) closeSync(fd);
      }
      expect(releaseFromOpenFiles(2 ** 22 + 1)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
