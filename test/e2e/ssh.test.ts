/**
 * SshRunner and ShellBrokerHost against a real OpenSSH sshd on 127.0.0.1 (sandbox/sshd.ts),
 * with tiny shell fixtures standing in for a broker.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  realpathSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HaltError, InfrastructureError, UserError } from '../../src/errors.js';
import type { BrokerSpec, RunSpec, SshExecutorSettings } from '../../src/inventory/model.js';
import { isAlive as processAlive } from '../../src/sandbox/processes.js';
import { readSshdHandle, startSshd, stopSshd, type SshdHandle } from '../../src/sandbox/sshd.js';
import { ShellBrokerHost } from '../../src/hosts/shell/shell-host.js';
import { connectSsh, SshRunner } from '../../src/hosts/ssh/ssh.js';
import { shScript } from '../../src/hosts/shell/shell.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-ssh-e2e-'));
const sshdDir = join(root, 'sshd');
const MARKER = 'pwned-kafka-ops-e2e';
let sshd: SshdHandle;
let runner: SshRunner;
const runners: SshRunner[] = [];
const pidFiles: string[] = [];

function executor(overrides: Partial<SshExecutorSettings> = {}): SshExecutorSettings {
  return { kind: 'ssh', knownHosts: sshd.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutSeconds: 5, ...overrides };
}

function broker(name: string, overrides: Partial<BrokerSpec> = {}): BrokerSpec {
  const base = join(root, name);
  mkdirSync(base, { recursive: true });
  const pidFile = join(base, 'broker.pid');
  pidFiles.push(pidFile);
  return {
    id: 1,
    host: '127.0.0.1',
    ssh: { port: sshd.port, user: sshd.user, identityFile: sshd.userKeyFile, agent: false },
    configPath: join(base, 'server.properties'),
    installLink: join(base, 'kafka'),
    installs: {},
    run: { kind: 'command', command: ['true'], pidFile, outputFile: join(base, 'out.log'), env: {} },
    logFile: join(base, 'server.log'),
    stop: { signal: 'SIGINT', timeoutSeconds: 10 },
    startTimeoutSeconds: 10,
    ...overrides,
  };
}

async function connect(spec: BrokerSpec, settings = executor()): Promise<SshRunner> {
  const r = await connectSsh(spec, settings);
  runners.push(r);
  return r;
}

/** A stand-in broker: on SIGINT it appends $LINE to the log given as $1 and exits. */
const FIXTURE = 'trap \'printf "%s\\n" "$LINE" >>"$1"; exit 0\' INT; while :; do sleep 0.1; done';

function fixtureRun(spec: BrokerSpec, line: string): RunSpec {
  const run = spec.run;
  if (run.kind !== 'command') throw new Error('fixture needs a command run spec');
  return { ...run, command: ['sh', '-c', FIXTURE, 'fixture', spec.logFile], env: { LINE: line } };
}

function noMarkers(): void {
  for (const dir of [homedir(), process.cwd(), root]) expect(existsSync(join(dir, MARKER))).toBe(false);
}

beforeAll(async () => {
  sshd = await startSshd(sshdDir);
  runner = await connect(broker('runner'));
});

afterAll(async () => {
  for (const r of runners) await r.close();
  for (const file of pidFiles) {
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
    if (pid > 0 && processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  const pid = sshd.pid;
  await stopSshd(sshdDir);
  expect(processAlive(pid)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

describe('sandbox sshd', () => {
  it('listens on 127.0.0.1 only and records its handle', () => {
    expect(readSshdHandle(sshdDir)).toEqual(sshd);
    expect(processAlive(sshd.pid)).toBe(true);
    expect(sshd.hostKeyLine).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 AAAA\\S+$`));
    expect(readFileSync(join(sshdDir, 'sshd_config'), 'utf8')).toContain('ListenAddress 127.0.0.1');
  });

  it('is reused when started again while it runs', async () => {
    expect(await startSshd(sshdDir)).toEqual(sshd);
  });
});

describe('SshRunner against a real sshd', () => {
  it('returns exit codes, stdout and stderr verbatim', async () => {
    expect(await runner.run('printf "a\\n\\n"; printf "b ü" >&2; exit 3')).toEqual({ code: 3, stdout: 'a\n\n', stderr: 'b ü' });
    expect((await runner.run('true')).code).toBe(0);
    expect((await runner.run('kill -9 $$')).code).toBe(137);
  });

  it('feeds stdin, and an empty stdin when none is given', async () => {
    expect((await runner.run('cat', { stdin: 'x\ny ü\n' })).stdout).toBe('x\ny ü\n');
    expect(await runner.run('cat', { timeoutMs: 5_000 })).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('runs many commands over one connection, more at once than sshd sessions allow', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run(`echo ${i}`)));
    expect(results.map((r) => r.stdout.split('\n')[0])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    const sshdChildren = await runner.run(`ps -o pid= --ppid ${sshd.pid} | wc -l`);
    // One session process for each runner connected so far, not one per command.
    expect(Number(sshdChildren.stdout.trim())).toBeLessThanOrEqual(runners.length);
  });

  it('runs sequential commands in one long-lived shell, and a command beside a busy one in a channel of its own', async () => {
    // Each command is a child of the shell that ran it: one session shell → one parent pid.
    const parents = [];
    for (let i = 0; i < 3; i++) parents.push((await runner.run('echo $PPID')).stdout.trim());
    expect(new Set(parents).size).toBe(1);
    const busy = runner.run('sleep 1; echo $PPID');
    const beside = await runner.run('echo $PPID');
    expect(beside.stdout.trim()).not.toBe(parents[0]);
    expect((await busy).stdout.trim()).toBe(parents[0]);
  });

  it('times a command out and stays usable', async () => {
    const started = Date.now();
    const error = await runner.run('sleep 10', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'COMMAND_TIMEOUT', retriable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await runner.run('echo still')).stdout).toBe('still\n');
  });

  it('refused connection → retriable SSH_CONNECT_REFUSED', async () => {
    const spec = broker('refused');
    const error = await connectSsh({ ...spec, ssh: { ...spec.ssh, port: 1 } }, executor()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).toMatchObject({ code: 'SSH_CONNECT_REFUSED', retriable: true });
  });

  it('a key sshd does not accept → SSH_AUTH_FAILED, not retriable', async () => {
    const key = join(root, 'stranger_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const spec = broker('stranger');
    const error = await connectSsh({ ...spec, ssh: { ...spec.ssh, identityFile: key } }, executor()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SSH_AUTH_FAILED', retriable: false });
    expect(String((error as Error).message)).not.toContain('PRIVATE KEY');
  });
});

describe('host key checking', () => {
  const fingerprintOf = () =>
    execFileSync('ssh-keygen', ['-lf', join(sshdDir, 'host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1] ?? '';

  it('strict + unknown host → SSH_HOST_KEY_UNKNOWN', async () => {
    const knownHosts = join(root, 'kh-empty');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port + 1} ${sshd.hostKeyLine.split(' ').slice(1).join(' ')}\n`);
    const error = await connectSsh(broker('kh1'), executor({ knownHosts })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SSH_HOST_KEY_UNKNOWN', retriable: false });
    expect((error as Error).message).toContain(fingerprintOf());
  });

  it('a different key for [127.0.0.1]:port → SSH_HOST_KEY_CHANGED, even with accept-new', async () => {
    const otherKey = join(root, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const [type, blob] = readFileSync(`${otherKey}.pub`, 'utf8').split(' ');
    const knownHosts = join(root, 'kh-changed');
    const content = `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`;
    writeFileSync(knownHosts, content);
    const error = await connectSsh(broker('kh2'), executor({ knownHosts, hostKeyPolicy: 'accept-new' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).toMatchObject({ code: 'SSH_HOST_KEY_CHANGED', retriable: false });
    const message = (error as Error).message;
    for (const part of ['127.0.0.1', String(sshd.port), knownHosts, fingerprintOf()]) expect(message).toContain(part);
    expect(readFileSync(knownHosts, 'utf8')).toBe(content);
  });

  it('accept-new + unknown host → connects and appends the key', async () => {
    const knownHosts = join(root, 'kh-new', 'known_hosts');
    const r = await connect(broker('kh3'), executor({ knownHosts, hostKeyPolicy: 'accept-new' }));
    expect((await r.run('echo ok')).stdout).toBe('ok\n');
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${sshd.hostKeyLine}\n`);
    // OpenSSH itself accepts what we wrote.
    const ssh = execFileSync(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-i',
        sshd.userKeyFile,
        '-p',
        String(sshd.port),
        `${sshd.user}@127.0.0.1`,
        'echo fromssh',
      ],
      { encoding: 'utf8' },
    );
    expect(ssh).toBe('fromssh\n');
  });

  it('a hashed known_hosts entry (ssh-keygen -H) is recognised', async () => {
    const knownHosts = join(root, 'kh-hashed');
    writeFileSync(knownHosts, `${sshd.hostKeyLine}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', knownHosts], { stdio: 'pipe' });
    expect(readFileSync(knownHosts, 'utf8')).toMatch(/^\|1\|/);
    const r = await connect(broker('kh4'), executor({ knownHosts }));
    expect((await r.run('echo hashed')).stdout).toBe('hashed\n');
  });
});

describe('ShellBrokerHost over SSH', () => {
  it('hostile config paths survive readConfig/writeConfig byte for byte and run nothing', async () => {
    const dir = join(root, `conf $(touch ${MARKER}) ; \`touch ${MARKER}\`\nline 'q'`);
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, `server $(touch ${MARKER});\n.properties`);
    const original = `broker.id=1\n# "quotes" 'single' $(touch ${MARKER}) \\ ü\n\n`;
    writeFileSync(configPath, original);
    chmodSync(configPath, 0o640);
    const host = new ShellBrokerHost(runner, broker('hostile', { configPath }));
    // The text is the file as Java reads it (ISO-8859-1: one char per byte), so the UTF-8 ü is two chars.
    const asJava = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    expect(await host.readConfig()).toBe(asJava(original));
    const next = `${original}inter.broker.protocol.version=0.9.0\nno trailing newline`;
    const backup = await host.writeConfig(asJava(next), '20240101T000000Z');
    expect(backup).toBe(`${configPath}.20240101T000000Z.bak`);
    expect(readFileSync(configPath, 'utf8')).toBe(next);
    expect(await host.readConfig()).toBe(asJava(next));
    expect(readFileSync(backup, 'utf8')).toBe(original);
    expect(statSync(configPath).mode & 0o777).toBe(0o640);
    noMarkers();
  });

  it('an inventory hook runs on the host with hostile argv and environment verbatim, its exit code and output kept, and is killed at its timeout', async () => {
    const host = new ShellBrokerHost(runner, broker('hook'));
    const argv = [`$(touch ${MARKER})`, `a b; touch ${MARKER}`, "it's", '`id`'];
    const script = 'printf "%s|" "$@" >&2; printf "[%s]" "$KAFKA_OPS_BROKER_HOST" >&2; exit 5';
    const result = await host.runHook(['sh', '-c', script, 'sh', ...argv], { KAFKA_OPS_BROKER_HOST: `$(touch ${MARKER})` }, 10_000);
    expect(result).toMatchObject({ code: 5, output: `${argv.join('|')}|[$(touch ${MARKER})]` });
    const started = Date.now();
    expect((await host.runHook(['sleep', '30'], {}, 500)).code).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    // The connection is still usable after the kill.
    expect((await host.runHook(['true'], {}, 5000)).code).toBe(0);
    noMarkers();
  });

  it('writeConfig on a missing file fails clearly and creates nothing', async () => {
    const spec = broker('missing-config');
    const host = new ShellBrokerHost(runner, spec);
    const error = await host.writeConfig('x', 'bak').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect(existsSync(spec.configPath)).toBe(false);
  });

  it('starts a fixture that honours SIGINT and stops it with a controlled shutdown', async () => {
    const spec = broker('controlled');
    const host = new ShellBrokerHost(runner, { ...spec, run: fixtureRun(spec, '[Kafka Server 1], Controlled shutdown succeeded') });
    expect((await host.facts()).process).toBeUndefined();
    await host.start();
    const process = (await host.facts()).process;
    expect(process?.pid).toBe(Number(readFileSync(spec.run.kind === 'command' ? spec.run.pidFile : '', 'utf8')));
    expect(process?.ignoredSignals).not.toContain('SIGINT');
    const result = await host.stop('SIGINT', 10_000);
    expect(result).toMatchObject({ exited: true, shutdown: 'controlled', evidence: ['[Kafka Server 1], Controlled shutdown succeeded'] });
    expect(result.elapsedMs).toBeLessThan(5_000);
    expect(processAlive(process?.pid ?? 0)).toBe(false);
    expect(await host.stop('SIGINT', 1_000)).toMatchObject({ exited: true, shutdown: 'unknown' });
  });

  it('knows when the process started to within tens of milliseconds, so a broker started right after its config change or install switch counts as running them', async () => {
    const spec = broker('start-time');
    const installs: Record<string, string> = {};
    for (const release of ['0.9.0.1', '0.10.2.1']) {
      installs[release] = join(root, 'start-time', `kafka-${release}`);
      mkdirSync(join(installs[release], 'libs'), { recursive: true });
      writeFileSync(join(installs[release], 'libs', `kafka_2.11-${release}.jar`), '');
    }
    symlinkSync(installs['0.9.0.1'] as string, spec.installLink);
    writeFileSync(spec.configPath, 'broker.id=1\n');
    const host = new ShellBrokerHost(runner, { ...spec, installs, run: fixtureRun(spec, 'x') });
    const written = (await host.facts()).configModifiedAtMs as number;
    await host.start();
    const facts = await host.facts();
    // btime alone (whole seconds) would put the start up to 1 s too early, before the write.
    expect(facts.process?.startedAtMs).toBeGreaterThanOrEqual(written);
    expect(Math.abs((facts.process?.startedAtMs ?? 0) - Date.now())).toBeLessThan(1_000);
    // A switch and the start right after it are one round trip apart (~15-50 ms here).
    for (const release of ['0.10.2.1', '0.9.0.1', '0.10.2.1', '0.9.0.1']) {
      await host.stop('SIGINT', 10_000);
      await host.activateRelease(release);
      await host.start();
      const after = await host.facts();
      expect(after.process?.startedAtMs, `started after the switch to ${release}`).toBeGreaterThanOrEqual(after.linkModifiedAtMs as number);
    }
    await host.stop('SIGINT', 10_000);
  });

  it('reads only the log lines written during this stop', async () => {
    const spec = broker('old-log');
    writeFileSync(spec.logFile, 'INFO [Kafka Server 1], Controlled shutdown succeeded\n');
    const host = new ShellBrokerHost(runner, { ...spec, run: fixtureRun(spec, 'INFO shut down completed') });
    await host.start();
    expect(await host.stop('SIGINT', 10_000)).toMatchObject({ exited: true, shutdown: 'unknown', evidence: [] });
  });

  it('refuses to stop a broker that ignores SIGINT, leaving it running', async () => {
    const spec = broker('ignored');
    const run = spec.run.kind === 'command' ? spec.run : undefined;
    // What an init script over ssh does: `cmd &` from a non-interactive shell ignores SIGINT.
    await runner.run(
      shScript('LINE=x nohup sh -c "$1" fixture "$2" </dev/null >/dev/null 2>&1 & echo $! >"$3"', [
        FIXTURE,
        spec.logFile,
        run?.pidFile ?? '',
      ]),
    );
    const host = new ShellBrokerHost(runner, spec);
    const facts = await host.facts();
    expect(facts.process?.ignoredSignals).toContain('SIGINT');
    const error = await host.stop('SIGINT', 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaltError);
    expect(error).toMatchObject({ code: 'SIGNAL_IGNORED', brokerId: 1 });
    expect((error as Error).message).toContain(`pid ${facts.process?.pid} on host 127.0.0.1`);
    await new Promise((r) => setTimeout(r, 300));
    expect(processAlive(facts.process?.pid ?? 0)).toBe(true);
    await expect(host.start()).rejects.toMatchObject({ code: 'SIGNAL_IGNORED' });
    await host.kill();
    expect(processAlive(facts.process?.pid ?? 0)).toBe(false);
  });

  it('refuses at once to stop a SIGSTOPped broker, without signalling it; once continued it stops', async () => {
    const spec = broker('suspended');
    const host = new ShellBrokerHost(runner, { ...spec, run: fixtureRun(spec, 'INFO [Kafka Server 1], Controlled shutdown succeeded') });
    await host.start();
    const pid = (await host.facts()).process?.pid as number;
    process.kill(pid, 'SIGSTOP');
    const started = Date.now();
    const error = await host.stop('SIGTERM', 20_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaltError);
    expect(error).toMatchObject({ code: 'PROCESS_SUSPENDED', brokerId: 1 });
    expect((error as HaltError).action).toContain(`kill -CONT ${pid}`);
    expect(Date.now() - started).toBeLessThan(15_000);
    process.kill(pid, 'SIGCONT');
    expect(processAlive(pid)).toBe(true);
    expect(await host.stop('SIGTERM', 10_000)).toMatchObject({ exited: true });
  });

  it('does not take a reused pid from a stale pid file for the broker', async () => {
    const spec = broker('stale');
    const pidFile = spec.run.kind === 'command' ? spec.run.pidFile : '';
    writeFileSync(pidFile, `${sshd.pid}\n`);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(pidFile, anHourAgo, anHourAgo);
    const host = new ShellBrokerHost(runner, spec);
    expect((await host.facts()).process).toBeUndefined();
    await host.kill();
    expect(processAlive(sshd.pid)).toBe(true);
    writeFileSync(pidFile, ''); // afterAll kills what pid files name
  });

  it('activateRelease flips the symlink and facts() sniffs the releases', async () => {
    const spec = broker('releases');
    const base = join(root, 'releases');
    const installs: Record<string, string> = {};
    for (const [release, scala] of [
      ['0.9.0.1', '2.11'],
      ['0.10.2.1', '2.12'],
    ] as const) {
      const dir = join(base, `kafka_${scala}-${release}`);
      mkdirSync(join(dir, 'libs'), { recursive: true });
      for (const suffix of ['', '-sources', '-test', '-javadoc'])
        writeFileSync(join(dir, 'libs', `kafka_${scala}-${release}${suffix}.jar`), '');
      writeFileSync(join(dir, 'libs', `kafka_${scala}-${release}.jar.asc`), '');
      installs[release] = dir;
    }
    installs['1.0.0'] = join(base, 'not-unpacked');
    symlinkSync(installs['0.9.0.1'] ?? '', spec.installLink);
    const host = new ShellBrokerHost(runner, { ...spec, installs });
    const before = await host.facts();
    expect(before).toEqual({
      linkTarget: installs['0.9.0.1'],
      linkModifiedAtMs: expect.any(Number),
      installs: {
        '0.9.0.1': { present: true, release: '0.9.0.1', realPath: realpathSync(installs['0.9.0.1'] ?? '') },
        '0.10.2.1': { present: true, release: '0.10.2.1', realPath: realpathSync(installs['0.10.2.1'] ?? '') },
        '1.0.0': { present: false },
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    await host.activateRelease('0.10.2.1');
    const after = await host.facts();
    expect(after.linkTarget).toBe(installs['0.10.2.1']);
    // resume relies on this: a flipped link is newer than a process started before the flip
    expect(after.linkModifiedAtMs).toBeGreaterThan(before.linkModifiedAtMs as number);
    await expect(host.activateRelease('1.0.0')).rejects.toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect((await host.facts()).linkTarget).toBe(installs['0.10.2.1']);
    await expect(host.activateRelease('9.9.9')).rejects.toBeInstanceOf(UserError);
  });

  it('reports no link target when the install link is missing', async () => {
    const host = new ShellBrokerHost(runner, broker('no-link'));
    expect((await host.facts()).linkTarget).toBeUndefined();
  });
});
