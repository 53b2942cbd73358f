/**
 * sandbox.json: what `up` started (pids, ports, paths), read by `status` and `down`.
 * Written first thing by `up` and again after each step, so a failed `up` still leaves
 * enough behind for `down` to clean up.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import type { BrokerPaths } from './layout.js';

export interface SandboxInstall {
  release: string;
  dir: string;
}

export interface SandboxBrokerState {
  id: number;
  port: number;
  pid?: number;
  dir: string;
  configPath: string;
  logFile: string;
  pidFile: string;
  outputFile: string;
  installLink: string;
  /** broker.rack, when the sandbox was started with racks. */
  rack?: string;
}

/** What the state file records of one node: its port and the paths of `BrokerPaths` that status and down read. */
export function brokerStateOf(paths: BrokerPaths, port: number): SandboxBrokerState {
  const { id, dir, configPath, logFile, pidFile, outputFile, installLink } = paths;
  return { id, port, dir, configPath, logFile, pidFile, outputFile, installLink };
}

export interface SandboxState {
  version: 1;
  dir: string;
  createdAt: string;
  /** Set once every partition had a leader and a full ISR. */
  readyAt?: string;
  java: string;
  installs: { from: SandboxInstall; to: SandboxInstall };
  interBrokerProtocolVersion: string;
  logMessageFormatVersion?: string;
  zookeeper: { port: number; connect: string; pid?: number; pidFile: string; outputFile: string; logFile: string };
  brokers: SandboxBrokerState[];
  sshd?: { port: number; pid: number; dir: string };
  topic: { name: string; partitions: number; replicationFactor: number; minInsyncReplicas: number };
  inventoryPath: string;
}

export async function writeState(file: string, state: SandboxState): Promise<void> {
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** The state of the sandbox in `file`'s directory, undefined when there is none. */
export function readState(file: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as SandboxState;
  } catch (error) {
    throw new UserError(`${file} is not a sandbox state file (not JSON)`, {
      code: 'SANDBOX_STATE_INVALID',
      action: `Stop any processes of that sandbox by hand and delete ${file}.`,
      cause: error,
    });
  }
}
