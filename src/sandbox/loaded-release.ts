/**
 * The release a running broker really runs, read from the process, never from our own files:
 * the kafka_<scala>-<release>.jar its JVM holds open (/proc/PID/fd), and the last
 * "Kafka version" line of its server.log (AppInfoParser logs it at every start).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { releaseFromJarNames } from './java.js';

/** The core jar's release among the files process `pid` holds open; undefined when none (or not readable). */
export function releaseFromOpenFiles(pid: number): string | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const names: string[] = [];
  for (const fd of fds) {
    try {
      names.push(path.basename(readlinkSync(`/proc/${pid}/fd/${fd}`)));
    } catch {
      // closed meanwhile
    }
  }
  return releaseFromJarNames(names)?.release;
}

/** Release named by the last "Kafka version : X" / "Kafka version: X" line of a log. */
export function releaseFromLog(text: string): string | undefined {
  const all = [...text.matchAll(/Kafka version\s*:\s*([0-9][\w.-]*)/g)];
  return all.at(-1)?.[1];
}

export function loadedRelease(pid: number, logFile: string): { release?: string; logRelease?: string } {
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8');
  } catch {
    // no log yet
  }
  const release = releaseFromOpenFiles(pid);
  const logRelease = releaseFromLog(log);
  return { ...(release ? { release } : {}), ...(logRelease ? { logRelease } : {}) };
}
