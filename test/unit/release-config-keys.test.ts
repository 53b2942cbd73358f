/** ReleaseConfigKeys: one key-list read (a JVM start on a broker host) per release and run, whatever the number of hosts. */
import { describe, expect, it } from 'vitest';
import { ReleaseConfigKeys } from '../../src/hosts/shell/release-config-keys.js';

const keys = (...names: string[]) => new Set(names);

describe('ReleaseConfigKeys', () => {
  it('reads each release once, however many hosts ask at the same time', async () => {
    const shared = new ReleaseConfigKeys();
    const reads: string[] = [];
    const reader = (host: string, release: string) => () => {
      reads.push(`${host}:${release}`);
      return new Promise<ReadonlySet<string>>((r) => setTimeout(() => r(keys(`${release}.key`)), 10));
    };
    const answers = await Promise.all(['h1', 'h2', 'h3'].flatMap((h) => ['0.9.0.1', '0.10.2.1'].map((r) => shared.get(r, reader(h, r)))));
    expect(reads).toEqual(['h1:0.9.0.1', 'h1:0.10.2.1']);
    expect(answers.map((a) => [...(a ?? [])])).toEqual([
      ['0.9.0.1.key'],
      ['0.10.2.1.key'],
      ['0.9.0.1.key'],
      ['0.10.2.1.key'],
      ['0.9.0.1.key'],
      ['0.10.2.1.key'],
    ]);
  });

  it('a host that could not tell (no java there) hands the read to the next host, whose answer serves the rest', async () => {
    const shared = new ReleaseConfigKeys();
    const reads: string[] = [];
    const [first, second, third] = await Promise.all([
      shared.get('0.9.0.1', async () => (reads.push('h1'), undefined)),
      shared.get('0.9.0.1', async () => (reads.push('h2'), keys('broker.id'))),
      shared.get('0.9.0.1', async () => (reads.push('h3'), keys('other'))),
    ]);
    expect(reads).toEqual(['h1', 'h2']);
    expect(first).toBeUndefined();
    expect([...(second ?? [])]).toEqual(['broker.id']);
    expect([...(third ?? [])]).toEqual(['broker.id']);
  });
});
