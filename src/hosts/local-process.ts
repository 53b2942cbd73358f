/**
 * Processes on this machine, seen through /proc: the journal's lock holder and the
 * sandbox's servers. They are not children we can wait on (they outlive the CLI), and an
 * exited process may linger as a zombie (State: Z) when nobody reaps it: that counts as gone.
 */
import { readFileSync } from 'node:fs';

export function procStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  const status = procStatus(pid);
  return status !== undefined && !/^State:\s+Z/m.test(status);
}
