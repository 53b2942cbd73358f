/**
 * server.properties as java.util.Properties reads it: `key=value`, `key:value` or
 * `key value`; whitespace around the separator is not part of either; `#` and `!` start
 * comment lines; the last occurrence of a key wins; `\\` in the file is one backslash.
 * Edits must leave everything they do not touch byte-for-byte as it was, so a reviewer
 * can diff the file, and must be idempotent so a re-run changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editProperties, parseProperties, type PropertyEdits } from '../../src/config/properties.js';

describe('parseProperties', () => {
  const CASES: Array<[string, string, Record<string, string>]> = [
    ['= separator', 'broker.id=1', { 'broker.id': '1' }],
    [': separator', 'broker.id:1', { 'broker.id': '1' }],
    ['space separator', 'broker.id 1', { 'broker.id': '1' }],
    ['tab separator', 'broker.id\t1', { 'broker.id': '1' }],
    ['spaces around =', 'broker.id   =   1', { 'broker.id': '1' }],
    ['spaces around :', 'broker.id : 1', { 'broker.id': '1' }],
    ['indented line', '   broker.id=1', { 'broker.id': '1' }],
    ['# comment', '# broker.id=1', {}],
    ['! comment', '! broker.id=1', {}],
    ['indented comment', '   # broker.id=1', {}],
    ['blank and whitespace-only lines', '\n   \n\t\n', {}],
    ['empty value', 'log.dirs=', { 'log.dirs': '' }],
    ['key alone', 'log.dirs', { 'log.dirs': '' }],
    ['value with spaces', 'ssl.cipher.suites=TLS AES 128', { 'ssl.cipher.suites': 'TLS AES 128' }],
    ['value with =', 'sasl.jaas.config=a=b c=d', { 'sasl.jaas.config': 'a=b c=d' }],
    ['value starting with = after the separator', 'k = =x', { k: '=x' }],
    ['value with : after a : separator', 'zookeeper.connect: zk1:2181,zk2:2181/kafka', { 'zookeeper.connect': 'zk1:2181,zk2:2181/kafka' }],
    ['value with #, not a comment', 'k=a#b', { k: 'a#b' }],
    ['escaped backslash is one backslash', 'log.dirs=C:\\\\kafka', { 'log.dirs': 'C:\\kafka' }],
    ['last duplicate wins', 'num.io.threads=8\nnum.io.threads=16', { 'num.io.threads': '16' }],
    ['CRLF line ends', 'a=1\r\nb=2\r\n', { a: '1', b: '2' }],
  ];

  it.each(CASES)('%s', (_what, text, expected) => {
    expect(parseProperties(text)).toEqual(expected);
  });

  it('reads a whole file', () => {
    expect(parseProperties(SAMPLE)).toEqual({
      'broker.id': '1',
      listeners: 'PLAINTEXT://:9092',
      'log.dirs': '/data/kafka-1',
      'num.io.threads': '16',
      'zookeeper.connect': 'zk1:2181,zk2:2181/kafka',
      'inter.broker.protocol.version': '0.10.2',
    });
  });
});

/** A server.properties with the shapes operators leave in them. */
const SAMPLE = `# Licensed to the Apache Software Foundation (ASF)
#
############################# Server Basics #############################

broker.id=1
  listeners = PLAINTEXT://:9092
! an old-style comment
log.dirs:/data/kafka-1
num.io.threads 8

# tuned later
num.io.threads=16
zookeeper.connect=zk1:2181,zk2:2181/kafka
inter.broker.protocol.version=0.10.2
`;

/** `text` with its lines defining any of `keys` left out (what an edit of those keys must not touch). */
const untouchedLines = (text: string, keys: string[]): string[] =>
  text.split('\n').filter((line) => !keys.some((k) => new RegExp(`^\\s*${k.replaceAll('.', '\\.')}(\\s|[=:]|$)`).test(line)));

describe('editProperties', () => {
  it('changes a key in place and nothing else', () => {
    expect(editProperties(SAMPLE, { 'log.dirs': '/data/kafka-1,/data2/kafka-1' })).toBe(
      SAMPLE.replace('log.dirs:/data/kafka-1\n', 'log.dirs=/data/kafka-1,/data2/kafka-1\n'),
    );
  });

  it('changes the last occurrence of a duplicated key (the one Java uses) and removes the earlier ones', () => {
    expect(editProperties(SAMPLE, { 'num.io.threads': '32' })).toBe(
      SAMPLE.replace('num.io.threads 8\n', '').replace('num.io.threads=16\n', 'num.io.threads=32\n'),
    );
  });

  it('removes every occurrence of a key edited to null', () => {
    expect(editProperties('x=1\ny=2\nx=3\n', { x: null })).toBe('y=2\n');
    expect(editProperties(SAMPLE, { 'num.io.threads': null })).toBe(
      SAMPLE.replace('num.io.threads 8\n', '').replace('num.io.threads=16\n', ''),
    );
  });

  it('leaves the text as it is when removing a key it does not have, or editing nothing', () => {
    expect(editProperties(SAMPLE, { 'log.message.format.version': null })).toBe(SAMPLE);
    expect(editProperties(SAMPLE, {})).toBe(SAMPLE);
  });

  it('appends new keys at the end, in the order given, under a comment naming who added them', () => {
    const edited = editProperties(SAMPLE, { 'log.message.format.version': '0.10.2', 'auto.create.topics.enable': 'false' });
    expect(edited).toBe(`${SAMPLE}\n# Added by kafka-ops\nlog.message.format.version=0.10.2\nauto.create.topics.enable=false\n`);
    expect(editProperties('a=1', { b: '2' }, 'the test')).toBe('a=1\n\n# Added by the test\nb=2\n');
  });

  const EDITS: Array<[string, PropertyEdits]> = [
    ['change one key', { 'inter.broker.protocol.version': '0.11.0' }],
    ['change a duplicated key', { 'num.io.threads': '4' }],
    ['change an indented key written with spaces', { listeners: 'PLAINTEXT://:9093' }],
    ['remove keys', { 'broker.id': null, 'num.io.threads': null }],
    ['add keys', { 'log.message.format.version': '0.10.2', 'delete.topic.enable': 'true' }],
    [
      'all at once',
      { 'inter.broker.protocol.version': '0.11.0', 'num.io.threads': null, 'log.message.format.version': '0.10.2', 'broker.id': '7' },
    ],
    ['values needing care', { 'sasl.jaas.config': 'a=b c:d #e !f', 'log.dirs': 'C:\\kafka\\data', empty: '' }],
  ];

  describe.each(EDITS)('%s', (_what, edits) => {
    const once = editProperties(SAMPLE, edits);

    it('keeps every comment, blank line and untouched key, in order, byte-for-byte', () => {
      const keys = Object.keys(edits);
      const kept = untouchedLines(once, keys);
      const original = untouchedLines(SAMPLE, keys);
      // Appended keys bring their comment and a blank line; everything before is the original.
      expect(kept.slice(0, original.length)).toEqual(original);
      const added = kept.slice(original.length);
      expect(added.every((l) => l === '' || l === '# Added by kafka-ops')).toBe(true);
    });

    it('is idempotent: editing twice is editing once', () => {
      expect(editProperties(once, edits)).toBe(once);
    });

    it('round-trips: the edits are applied and every other value is unchanged', () => {
      const expected: Record<string, string> = { ...parseProperties(SAMPLE) };
      for (const [key, value] of Object.entries(edits)) {
        if (value === null) delete expected[key];
        else expected[key] = value;
      }
      expect(parseProperties(once)).toEqual(expected);
    });
  });

  it.each(['a\nb', 'a\rb', 'a\r\nb', '\n'])('rejects a value with a line break (%j), which would inject a second key', (value) => {
    expect(() => editProperties(SAMPLE, { 'log.dirs': value })).toThrow(/line break/);
    expect(() => editProperties(SAMPLE, { 'new.key': value })).toThrow(/line break/);
  });

  it('keeps CRLF line ends on a CRLF file', () => {
    const crlf = '# header\r\n\r\nbroker.id=1\r\nnum.io.threads=8\r\n';
    expect(editProperties(crlf, { 'num.io.threads': '16' })).toBe('# header\r\n\r\nbroker.id=1\r\nnum.io.threads=16\r\n');
    expect(editProperties(crlf, { 'delete.topic.enable': 'true' })).toBe(`${crlf}\r\n# Added by kafka-ops\r\ndelete.topic.enable=true\r\n`);
  });

  it('a lone CR ends a line (as for Java): --unset removes the key Java reads, every other byte stays', () => {
    const mixed = 'a=1\rb=2\rc=3\r\nd=4\n';
    expect(parseProperties(mixed)).toEqual({ a: '1', b: '2', c: '3', d: '4' });
    expect(editProperties(mixed, { b: null })).toBe('a=1\rc=3\r\nd=4\n');
    expect(editProperties(mixed, { c: '5' })).toBe('a=1\rb=2\rc=5\r\nd=4\n');
    expect(parseProperties(editProperties(mixed, { b: null }))).toEqual({ a: '1', c: '3', d: '4' });
  });

  it('does not change a comment that looks like the key', () => {
    expect(editProperties('#log.dirs=/old\nlog.dirs=/a\n', { 'log.dirs': '/b' })).toBe('#log.dirs=/old\nlog.dirs=/b\n');
  });
});

describe('java.util.Properties itself agrees (Java 17 reads each text as Kafka loads server.properties)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-props-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const fixture = fileURLToPath(new URL('../fixtures/PropertiesDump.java', import.meta.url));
  /** What Java reads of each text, values trimmed as Kafka's ConfigDef does (one JVM for all). */
  const javaReadsAll = (texts: string[]): Array<Record<string, string>> => {
    const files = texts.map((text, i) => {
      const file = join(scratch, `t${i}-${Math.random().toString(36).slice(2)}.properties`);
      writeFileSync(file, Buffer.from(text, 'latin1'));
      return file;
    });
    const out = execFileSync('java', [fixture, ...files], { encoding: 'utf8' });
    return out
      .split('\u0001')
      .slice(0, -1)
      .map((dump) => {
        const parts = dump.split('\0').slice(0, -1);
        const entries: Record<string, string> = {};
        for (let i = 0; i < parts.length; i += 2) entries[parts[i] as string] = (parts[i + 1] as string).trim();
        return entries;
      });
  };
  const TEXTS: Array<[string, string]> = [
    ['a value continued over three lines', 'listeners=PLAINTEXT://a:9092,\\\n    SSL://b:9093,\\\n\tSASL_SSL://c:9094\nnext=1\n'],
    ['an even number of trailing backslashes does not continue', 'a=x\\\\\nb=2\n'],
    ['a comment ending in a backslash does not continue', '# note \\\nreal=1\n'],
    ['a continuation at the end of the file', 'k=v\\'],
    ['unicode escapes and escaped separators in keys', 'my\\=key\\:x\\ y=caf\\u00e9 \\u6771\n'],
    ['the usual escapes', 'k=a\\tb\\nc\\\\d\\qe\n'],
    ['a continued line whose next line is blank', 'k=a\\\n\nz=1\n'],
    ['separators and spaces', '  k  :  v  \nj=\n i \n'],
    // issue 14: kafka-ops read `a=1\rb=2` as one key while Java reads two, so an --unset of b "succeeded" and Java kept it
    ['a lone CR ends a line, as LF and CRLF do', 'a=1\rb=2\r\nc=3\nd=4\r'],
    ['a continuation across a lone CR', 'k=a\\\r  b\rz=1\n'],
  ];
  const edited = {
    'ssl.keystore.location': '/data/kä stores/ks.jks',
    'x.weird': '  lead\\back#hash!=:',
    'y.tab': 'a\tb',
    'z.emoji': '東京 🚀',
  };
  const editedText = editProperties('broker.id=1\n', edited);
  let java: Array<Record<string, string>> = [];
  beforeAll(() => {
    java = javaReadsAll([...TEXTS.map(([, text]) => text), Buffer.from(editedText, 'utf8').toString('latin1')]);
  }, 60_000);

  it.each(TEXTS.map(([name, text], i) => [name, text, i] as const))('%s', (_name, text, i) => {
    expect(parseProperties(text)).toEqual(java[i]);
  });

  it('reads back, through Java, exactly the values an edit wrote (escapes, non-ASCII, leading spaces)', () => {
    const expected = { 'broker.id': '1', ...Object.fromEntries(Object.entries(edited).map(([k, v]) => [k, v.trim()])) };
    expect(java[TEXTS.length]).toEqual(expected);
    expect(parseProperties(editedText)).toEqual(expected);
  });

  it('an edit of a value that spans lines replaces all of its lines and keeps the rest', () => {
    const text = '# head\nlisteners=PLAINTEXT://a:9092,\\\n    SSL://b:9093\nbroker.id=1\n';
    expect(editProperties(text, { listeners: 'PLAINTEXT://a:9092' })).toBe('# head\nlisteners=PLAINTEXT://a:9092\nbroker.id=1\n');
  });
});
