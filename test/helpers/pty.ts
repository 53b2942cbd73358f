/**
 * Running a command on a real pseudo-terminal (util-linux `script`), typing answers into
 * it, and reading what the terminal showed.
 */
import { execFileSync, spawn } from 'node:child_process';

/** The terminal tests need `script`; a machine without it fails them (scripts/setup-machine.sh installs it), never skips them. */
function requireScript(): void {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('util-linux `script` is missing: the terminal tests need it. Run scripts/setup-machine.sh (installs bsdutils).');
  }
}

const children = new Set<number>();

// eslint-disable-next-line no-control-regex
export const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
export const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyRun {
  code: number;
  /** Everything the terminal showed, raw. */
  screen: string;
}

/**
 * Run `command` (a shell line) on a fresh 120x40 pseudo-terminal. `answer` sees the text
 * drawn since the last answer (a key typed before its prompt is active would be lost) and
 * returns the keys to type, if any.
 */
export function onPty(
  command: string,
  answer?: (drawn: string) => string | undefined,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<PtyRun> {
  requireScript();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qfec', `stty cols 120 rows 40; ${command}`, '/dev/null'], {
      env: { ...process.env, TERM: 'xterm-256color', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (child.pid) children.add(child.pid);
    let screen = '';
    let answeredUpTo = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within ${timeoutMs / 1000} s; screen so far:\n${plain(screen).slice(-4000)}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      const keys = answer?.(plain(screen.slice(answeredUpTo)));
      if (keys) {
        answeredUpTo = screen.length;
        child.stdin.write(keys);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (child.pid) children.delete(child.pid);
      child.stdin.destroy();
      resolvePromise({ code: code ?? -1, screen });
    });
  });
}

/** The last frame the tree left: what follows log-update's last "to column 1". */
export function lastFrame(screen: string): string[] {
  return plain(screen.slice(screen.lastIndexOf('\u001b[G')))
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
}

/** Kill what is still running (a test that timed out); returns the pids that would not die. */
export function killPtyChildren(): number[] {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      children.delete(pid);
    }
  }
  return [...children].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}
