import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { LocalRunner } from '../../src/hosts/shell/runner.js';
import { classifyShutdown, releaseFromJars, ShellBrokerHost } from '../../src/hosts/shell/shell-host.js';
import { brokerSpec } from '../helpers/inventory-fixtures.js';
import { commandLine, quote, shScript } from '../../src/hosts/shell/shell.js';
import { blobKeyType, checkHostKey, fingerprint, hostFieldMatches, parseKnownHosts } from '../../src/hosts/ssh/ssh.js';

const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-shell-'));
const marker = join(scratch, 'pwned');
const runner = new LocalRunner();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const hostile: Array<[string, string]> = [
  ['command substitution', `$(touch ${marker})`],
  ['backticks', `\`touch ${marker}\``],
  ['semicolon', `x; touch ${marker}`],
  ['single quote', `it's ' quoted '' '`],
  ['double quote and dollar', `"$HOME" \${PATH} $1 $@ $$`],
  ['newline', `a\nb; touch ${marker}\n`],
  ['spaces and tabs', '  lead  trail\t '],
  ['empty string', ''],
  ['unicode', 'Zürich — 東京 🚀'],
  ['glob and redirection', `* ? [a] > ${marker} < /etc/passwd | cat &`],
  ['backslashes', "\\n \\\\ \\'"],
  ['leading dash', '-n'],
  ['plain', 'server.properties'],
];

describe('quote / commandLine / shScript run through a real sh', () => {
  it.each(hostile)('%s survives commandLine verbatim and runs nothing', async (_name, value) => {
    const result = await runner.run(commandLine(['printf', '%s\\n', value]));
    expect(result).toEqual({ code: 0, stdout: `${value}\n`, stderr: '' });
    expect(existsSync(marker)).toBe(false);
  });

  it.each(hostile)('%s survives as a positional parameter of shScript, one shell deeper', async (_name, value) => {
    const result = await runner.run(shScript('printf "%s|%s\\n" "$1" "$#"', [value]));
    expect(result.stdout).toBe(`${value}|1\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps argument boundaries: every value is exactly one argument', async () => {
    const values = hostile.map(([, v]) => v);
    const result = await runner.run(shScript('printf "%s\\0" "$@"', values));
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(values);
  });

  it('leaves safe words unquoted and rejects NUL and empty commands', () => {
    expect(quote('/opt/kafka_2.11-0.9.0.1/libs')).toBe('/opt/kafka_2.11-0.9.0.1/libs');
    expect(quote('')).toBe("''");
    expect(() => quote('a\0b')).toThrow(TypeError);
    expect(() => commandLine([])).toThrow(TypeError);
  });
});

describe('ShellBrokerHost.runHook through a real sh', () => {
  const host = new ShellBrokerHost(runner, brokerSpec(1));
  const echo = ['sh', '-c', 'printf "%s|" "$@" >&2; printf "[%s %s]" "$KAFKA_OPS_HOOK" "$KAFKA_OPS_BROKER_HOST" >&2; exit "$EXIT"', 'sh'];

  it('passes every argv element and environment value verbatim, runs nothing they contain, and reports the exit code', async () => {
    const values = hostile.map(([, v]) => v).filter((v) => v.trim() === v && v !== '');
    const result = await host.runHook(
      [...echo, ...values],
      { KAFKA_OPS_HOOK: 'beforeBroker', KAFKA_OPS_BROKER_HOST: `h; touch ${marker}`, EXIT: '7' },
      10_000,
    );
    expect(result.code).toBe(7);
    expect(result.output).toBe(`${values.join('|')}|[beforeBroker h; touch ${marker}]`);
    expect(existsSync(marker)).toBe(false);
  });

  it('a hook past its timeout is killed and reported without an exit code', async () => {
    const result = await host.runHook(['sleep', '30'], {}, 300);
    expect(result.code).toBeUndefined();
    expect(result.elapsedMs).toBeLessThan(10_000);
  });

  it('refuses an environment variable name a shell would parse', async () => {
    await expect(host.runHook(['true'], { 'A=B; touch x': '1' }, 1000)).rejects.toThrow(/invalid environment variable name/);
  });
});

describe('LocalRunner', () => {
  it('returns exit code, stdout and stderr without trimming', async () => {
    const result = await runner.run('printf "out\\n\\n"; printf err >&2; exit 7');
    expect(result).toEqual({ code: 7, stdout: 'out\n\n', stderr: 'err' });
  });

  it('feeds stdin and closes it', async () => {
    const result = await runner.run('cat; echo "[done]"', { stdin: 'line 1\nline ü\n' });
    expect(result.stdout).toBe('line 1\nline ü\n[done]\n');
  });

  it('gives an empty stdin when none is given (cat does not hang)', async () => {
    const result = await runner.run('cat', { timeoutMs: 5_000 });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('reports a signal death the way a shell does (128 + n)', async () => {
    const result = await runner.run('kill -9 $$');
    expect(result.code).toBe(137);
  });

  it('rejects with a retriable COMMAND_TIMEOUT when the timeout passes', async () => {
    const started = Date.now();
    const error = await runner.run('sleep 5', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).toMatchObject({ code: 'COMMAND_TIMEOUT', retriable: true });
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('releaseFromJars', () => {
  it.each<[string[], string | undefined]>([
    [['kafka_2.11-0.9.0.1.jar'], '0.9.0.1'],
    [
      [
        'kafka_2.11-0.9.0.1.jar',
        'kafka_2.11-0.9.0.1-sources.jar',
        'kafka_2.11-0.9.0.1-javadoc.jar',
        'kafka_2.11-0.9.0.1-test.jar',
        'kafka_2.11-0.9.0.1-scaladoc.jar',
      ],
      '0.9.0.1',
    ],
    [['kafka_2.13-3.6.0.jar', 'kafka_2.13-3.6.0-test-sources.jar', 'kafka_2.13-3.6.0-site-docs.jar'], '3.6.0'],
    [['kafka_2.12-2.8.0-test.jar'], undefined],
    [['kafka-clients-0.10.2.1.jar'], undefined],
    [['kafka_2.11-0.9.0.1.jar', 'kafka_2.11-0.10.2.1.jar'], undefined],
    [[], undefined],
  ])('%j → %s', (names, release) => {
    expect(releaseFromJars(names)).toBe(release);
  });
});

describe('classifyShutdown', () => {
  it('controlled when the log says so, even after retries', () => {
    const log =
      'x\n[2024] WARN [Kafka Server 1], Retrying controlled shutdown after the previous attempt failed...\n[2024] INFO [Kafka Server 1], Controlled shutdown succeeded\n';
    const result = classifyShutdown(log);
    expect(result.shutdown).toBe('controlled');
    expect(result.evidence).toHaveLength(2);
  });
  it('unclean when the broker gave up', () => {
    const result = classifyShutdown(
      'WARN [Kafka Server 1], Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed\n',
    );
    expect(result).toEqual({
      shutdown: 'unclean',
      evidence: ['WARN [Kafka Server 1], Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed'],
    });
  });
  // Lines as a real ZooKeeper-mode 3.9.2 broker writes them on SIGINT (2.8 and older say "Controlled shutdown succeeded").
  const zk3Starting = '[2026-12-02 22:34:35,541] INFO [KafkaServer id=2] Starting controlled shutdown (kafka.server.KafkaServer)';
  const zk3Done =
    '[2026-12-02 22:34:36,064] INFO [KafkaServer id=2] Controlled shutdown request returned successfully after 487ms (kafka.server.KafkaServer)';
  const zk3Remaining =
    '[2026-12-02 22:32:06,047] INFO [KafkaServer id=2] Controlled shutdown request returned after 354ms with 12 partitions remaining to move (kafka.server.KafkaServer)';
  const zk3GaveUp =
    '[2026-12-02 22:32:08,090] WARN [KafkaServer id=2] Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed (kafka.server.KafkaServer)';
  it('ZooKeeper-mode 3.x: controlled when the request returned successfully', () => {
    expect(classifyShutdown([zk3Starting, zk3Done].join('\n'))).toEqual({ shutdown: 'controlled', evidence: [zk3Done] });
  });
  it('ZooKeeper-mode 3.x: partitions left to move, then the broker gave up, is unclean', () => {
    expect(classifyShutdown([zk3Starting, zk3Remaining, zk3Remaining, zk3GaveUp].join('\n'))).toEqual({
      shutdown: 'unclean',
      evidence: [zk3Remaining, zk3Remaining, zk3GaveUp],
    });
  });
  it('unknown when the log says nothing', () => {
    expect(classifyShutdown('INFO shutting down\n')).toEqual({ shutdown: 'unknown', evidence: [] });
  });
  // Lines as a real KRaft 3.9.2 broker and controller write them on SIGTERM.
  const brokerBegins =
    '[2026-12-02 19:14:26,901] INFO [BrokerLifecycleManager id=4] Beginning controlled shutdown. (kafka.server.BrokerLifecycleManager)';
  const brokerGranted =
    '[2026-12-02 19:14:29,085] INFO [BrokerLifecycleManager id=4] The controller has asked us to exit controlled shutdown. (kafka.server.BrokerLifecycleManager)';
  const raftGraceful = (id: number) =>
    `[2026-12-02 19:14:29,461] INFO [RaftManager id=${id}] Graceful shutdown completed (org.apache.kafka.raft.KafkaRaftClient)`;
  it('KRaft broker: controlled once the controller granted its controlled shutdown', () => {
    expect(classifyShutdown([brokerBegins, brokerGranted, raftGraceful(4)].join('\n')).shutdown).toBe('controlled');
  });
  it('KRaft broker: asked but never granted is unclean, even though raft shut down gracefully', () => {
    expect(classifyShutdown([brokerBegins, raftGraceful(4)].join('\n')).shutdown).toBe('unclean');
  });
  it('KRaft controller: a graceful raft shutdown is its clean stop', () => {
    expect(classifyShutdown(`INFO [ControllerServer id=2] shutting down\n${raftGraceful(2)}\n`).shutdown).toBe('controlled');
  });
});

describe('known_hosts parsing and matching', () => {
  // A real ed25519 public key blob and one of its hashed entries (made with ssh-keygen -H).
  const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C7okWi0dh2l9GKJl', 'base64');
  const other = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIBDc8YyLHWnxPxLBUzyiNrzWm8uOmH+dmOwldbKdKzLN', 'base64');
  const key = { type: 'ssh-ed25519', blob };

  it('reads the key type from the blob and fingerprints like OpenSSH', () => {
    expect(blobKeyType(blob)).toBe('ssh-ed25519');
    expect(fingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('matches [host]:port, plain names, wildcards and negations', () => {
    expect(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2223')).toBe(false);
    expect(hostFieldMatches('kafka1,kafka2', 'kafka2')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'b1.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
  });

  it('tells known, changed, unknown and revoked apart', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `[h]:2222 ssh-ed25519 ${blob.toString('base64')}`,
        `[g]:2222 ssh-ed25519 ${other.toString('base64')} a comment`,
        `@revoked * ssh-ed25519 ${Buffer.from('AAAA', 'base64').toString('base64')}`,
        'garbage',
      ].join('\n'),
    );
    expect(entries).toHaveLength(3);
    expect(checkHostKey(entries, '[h]:2222', key)).toEqual({ status: 'known', line: 3 });
    expect(checkHostKey(entries, '[g]:2222', key)).toEqual({ status: 'changed', line: 4 });
    expect(checkHostKey(entries, '[k]:2222', key)).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, '[k]:2222', { type: 'ssh-rsa', blob: Buffer.from('AAAA', 'base64') }).status).toBe('unknown');
    const revoked = parseKnownHosts(`@revoked * ssh-ed25519 ${blob.toString('base64')}\n[h]:2222 ssh-ed25519 ${blob.toString('base64')}`);
    expect(checkHostKey(revoked, '[h]:2222', key)).toEqual({ status: 'revoked', line: 1 });
  });
});
