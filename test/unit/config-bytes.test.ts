/**
 * server.properties is read by Java as ISO-8859-1, whatever bytes it holds. An edit through a
 * host (here a real sh on this machine, the path an SSH host takes too) leaves every untouched
 * line byte for byte, latin-1 and invalid UTF-8 included, and the value Java reads is the one
 * kafka-ops parsed (issue 14: `rt.latin=p\xe4ss` came back as U+FFFD after an unrelated roll).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editProperties, parseProperties } from '../../src/config/properties.js';
import { LocalRunner } from '../../src/hosts/shell/runner.js';
import { ShellBrokerHost } from '../../src/hosts/shell/shell-host.js';
import { brokerSpec } from '../helpers/inventory-fixtures.js';

const LATIN1_LINE = Buffer.from('# Gr\xfc\xdfe aus K\xf6ln\n', 'latin1');
const PASSWORD_LINE = Buffer.from('rt.latin=p\xe4ss\n', 'latin1');
const BROKEN_UTF8 = Buffer.from([0x23, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0x0a]); // "# " + invalid sequences
const UTF8_LINE = Buffer.from('# Zürich — 東京\n', 'utf8');
const original = Buffer.concat([
  Buffer.from('broker.id=1\n'),
  LATIN1_LINE,
  PASSWORD_LINE,
  BROKEN_UTF8,
  UTF8_LINE,
  Buffer.from('num.io.threads=8\n'),
]);

describe('a config edit through a host', () => {
  it('keeps every untouched line byte for byte, whatever its encoding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bytes-'));
    const file = join(dir, 'server.properties');
    writeFileSync(file, original);
    const host = new ShellBrokerHost(new LocalRunner(), brokerSpec(1, { configPath: file }));

    const text = await host.readConfig();
    expect(parseProperties(text)['rt.latin']).toBe('p\xe4ss'); // what Java reads: ä, one byte
    const backup = await host.writeConfig(editProperties(text, { 'num.io.threads': '16' }), '20261202T000000Z');

    const after = readFileSync(file);
    expect(after.subarray(0, original.indexOf('num.io.threads'))).toEqual(original.subarray(0, original.indexOf('num.io.threads')));
    expect(after.toString('latin1')).toMatch(/^num\.io\.threads=16$/m);
    expect(readFileSync(backup)).toEqual(original);
    // Java itself, when there is one, reads the written file's value as kafka-ops does.
    const java = (() => {
      try {
        return execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim();
      } catch {
        return undefined;
      }
    })();
    if (java) {
      const program = join(dir, 'Read.java');
      writeFileSync(
        program,
        'public class Read { public static void main(String[] a) throws Exception { var p = new java.util.Properties(); try (var in = new java.io.FileInputStream(a[0])) { p.load(in); } System.out.print(Integer.toHexString(p.getProperty("rt.latin").charAt(1))); } }',
      );
      expect(execFileSync(java, [program, file], { encoding: 'utf8' })).toBe('e4');
    }
  });
});
