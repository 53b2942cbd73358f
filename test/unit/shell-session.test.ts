// ShellSession over a real local `sh` (the same pipes an SSH channel gives): framing,
// exit codes, stdin bytes, rc-file chatter and failures, with no mock in between.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { ShellSession } from '../../src/hosts/ssh/shell-session.js';
import { commandLine, shScript } from '../../src/hosts/shell/shell.js';

const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-session-'));
const marker = join(scratch, 'pwned');
const children: ChildProcess[] = [];
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A real sh reading commands from its stdin; `prelude` plays the login shell's rc files. */
async function startSession(prelude = ''): Promise<{ session: ShellSession; child: ChildProcess }> {
  const child = spawn('sh', ['-c', `${prelude} exec sh`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const session = await ShellSession.start(
    { stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr!, destroy: () => child.kill('SIGKILL') },
    'test-host',
  );
  return { session, child };
}

describe('ShellSession', () => {
  it('drops what the rc files print before the first command', async () => {
    const { session } = await startSession(`echo 'Welcome!'; printf 'no newline'; echo 'warning: pyenv' >&2;`);
    expect(await session.run('echo hello')).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
  });

  it.each([
    ['output with a trailing newline', 'printf "a\\nb\\n"', { code: 0, stdout: 'a\nb\n', stderr: '' }],
    ['output without a trailing newline', 'printf "x"', { code: 0, stdout: 'x', stderr: '' }],
    ['empty output', 'true', { code: 0, stdout: '', stderr: '' }],
    ['stderr and a non-zero status', 'echo oops >&2; exit 3', { code: 3, stdout: '', stderr: 'oops\n' }],
    ['NUL-separated records', "printf 'k\\0v\\0'", { code: 0, stdout: 'k\0v\0', stderr: '' }],
  ])('returns %s exactly', async (_name, command, expected) => {
    const { session } = await startSession();
    expect(await session.run(command)).toEqual(expected);
  });

  it('reports death by a signal as 128 + its number, like a shell', async () => {
    const { session } = await startSession();
    const result = await session.run('kill -9 $$');
    expect(result.code).toBe(137);
    expect(result.stdout).toBe('');
  });

  it('keeps going after a command that exits, fails to parse or reads stdin', async () => {
    const { session } = await startSession();
    expect((await session.run('exit 7')).code).toBe(7);
    expect((await session.run('if then fi')).code).not.toBe(0);
    // Without caller input, stdin is /dev/null: `cat` must not swallow the session's next request.
    expect(await session.run('cat')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await session.run('echo still here')).toEqual({ code: 0, stdout: 'still here\n', stderr: '' });
  });

  it('hands the caller stdin over byte for byte, hostile bytes included', async () => {
    const { session } = await startSession();
    const content = `# comment\nlog.dirs=/data/a b\nx='$(touch ${marker})' \`touch ${marker}\`; \\\n\ttab\n东京\n`;
    expect(await session.run('cat', { stdin: content })).toEqual({ code: 0, stdout: content, stderr: '' });
    expect(await session.run('wc -c', { stdin: '' })).toEqual({ code: 0, stdout: '0\n', stderr: '' });
    expect(existsSync(marker)).toBe(false);
  });

  it('passes hostile values through shScript without running them', async () => {
    const { session } = await startSession();
    const values = [`$(touch ${marker})`, `a'b"c`, 'line1\nline2', '; rm -rf /', ' spaced  '];
    const result = await session.run(shScript('for a; do printf "[%s]" "$a"; done', values));
    expect(result.stdout).toBe(values.map((v) => `[${v}]`).join(''));
    expect(existsSync(marker)).toBe(false);
  });

  it('cannot be fooled by output that looks like a marker', async () => {
    const { session } = await startSession();
    const fake = '\nKO000000000000000000000000 0\n';
    expect(await session.run(commandLine(['printf', '%s', fake]))).toEqual({ code: 0, stdout: fake, stderr: '' });
  });

  it('runs one command at a time and says so', async () => {
    const { session } = await startSession();
    const slow = session.run('sleep 0.3; echo done');
    expect(session.busy).toBe(true);
    await expect(session.run('echo second')).rejects.toThrow(/one command at a time/);
    expect((await slow).stdout).toBe('done\n');
    expect(session.busy).toBe(false);
  });

  it('gives up after the timeout and is then dead, not reused', async () => {
    const { session } = await startSession();
    const error = await session.run('sleep 5', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).code).toBe('COMMAND_TIMEOUT');
    expect(session.alive).toBe(false);
    await expect(session.run('echo x')).rejects.toBeInstanceOf(InfrastructureError);
  });

  it('fails the running command at once when the shell dies', async () => {
    const { session, child } = await startSession();
    const running = session.run('sleep 5');
    child.kill('SIGKILL');
    const error = await running.catch((e: unknown) => e);
    expect((error as InfrastructureError).code).toBe('SHELL_SESSION_LOST');
    expect(session.alive).toBe(false);
  });
});
