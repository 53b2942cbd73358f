/**
 * Shared fixtures for the planner, inventory, plan-file and CLI tests: scratch
 * directories with small YAML files, a valid inventory text, observed cluster states
 * and a way to catch the UserError a call must throw.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { BrokerSpec, Inventory } from '../../src/inventory/model.js';
import type { ObservedBroker, ObservedCluster } from '../../src/plan/observed.js';

export const IBP = 'inter.broker.protocol.version';
export const LMFV = 'log.message.format.version';

/** A temporary directory removed after the test file; `write` puts a file in it and returns its path. */
export function useScratchDir(prefix: string): { dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), `kafka-ops-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
  };
}

/**
 * A valid two-broker inventory. Line numbers matter to the location tests: the
 * `brokers:` list starts on line 17, broker 1 (`- id: 1`) is line 18, broker 2 line 20.
 */
export const VALID_INVENTORY = `cluster: test
executor:
  kind: ssh
defaults:
  ssh:
    user: kafka
  configPath: /etc/kafka/server.properties
  installLink: /opt/kafka
  installs:
    "0.10.2.1": /opt/kafka_2.11-0.10.2.1
    "0.11.0.3": /opt/kafka_2.11-0.11.0.3
  run:
    systemd: kafka.service
  logFile: /opt/kafka/logs/server.log
  stop:
    timeoutSeconds: 120
brokers:
  - id: 1
    host: kafka1.example.com
  - id: 2
    host: kafka2.example.com
`;

/** Run `fn`, which must throw a UserError; return it for further checks. */
export function userErrorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}

/**
 * The observed state of `inventory`'s brokers, all on `release` through its install
 * (when the inventory has one), with `config` on every broker; `overrides` replaces
 * fields of single brokers.
 */
export function observedState(
  inventory: Inventory,
  release: string,
  options: { config?: Record<string, string>; overrides?: Record<number, Partial<ObservedBroker>>; controller?: number } = {},
): ObservedCluster {
  return {
    source: 'hosts',
    ...(options.controller === undefined ? {} : { controller: options.controller }),
    brokers: inventory.brokers.map((b) => ({
      id: b.id,
      release,
      installDir: b.installs[release] ?? null,
      config: { ...options.config },
      ...options.overrides?.[b.id],
    })),
  };
}

/** 1-based line and column where `needle` first occurs in `text` (as an editor shows it). */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`fixture does not contain ${JSON.stringify(needle)}`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: (before.at(-1) as string).length + 1 };
}

/** One bad input file: [what is wrong, its text, the text the error must point at, error code, what the message must say]. */
export type BadInputRow = [what: string, text: string, at: string, code: string, says: Array<string | RegExp>];

/**
 * One test per row: `load` of the written file throws a UserError (exit code 2) with
 * that code, located at the first occurrence of `at` in the text, saying `says`.
 */
export function itRefusesEachLocated(
  rows: BadInputRow[],
  write: (name: string, text: string) => string,
  load: (file: string) => unknown,
): void {
  const cases = rows.map(([what, text, at, code, says], i) => ({ what, text, at, code, says, file: write(`bad-${i}.yaml`, text) }));
  it.each(cases)('$what', ({ text, at, code, says, file }) => {
    const error = userErrorOf(() => load(file));
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe(code);
    const { line, column } = positionOf(text, at);
    expect(error.location).toEqual({ file, line, column });
    expect(error.where).toBe(`${file}:${line}:${column}`);
    for (const fragment of says) expect(error.message).toMatch(fragment);
    expect(error.action).not.toBe('');
  });
}

/** A broker as an executor test needs it: installs of two releases, a 30 s stop timeout. */
export function brokerSpec(id: number, overrides: Partial<BrokerSpec> = {}): BrokerSpec {
  return {
    id,
    host: `broker-${id}`,
    ssh: { port: 22, user: 'kafka', agent: false },
    configPath: '/etc/kafka/server.properties',
    installLink: '/opt/kafka',
    installs: { '0.8.2.2': '/opt/kafka_2.11-0.8.2.2', '0.9.0.1': '/opt/kafka_2.11-0.9.0.1' },
    run: { kind: 'systemd', unit: 'kafka' },
    logFile: '/var/log/kafka/server.log',
    stop: { signal: 'SIGINT', timeoutSeconds: 30 },
    startTimeoutSeconds: 20,
    ...overrides,
  };
}

/** A broker on this machine whose files all live in `dir`, as the shell host's own tests need it. */
export function localBrokerSpec(dir: string): BrokerSpec {
  return {
    id: 1,
    host: 'localhost',
    ssh: { port: 22, user: 'root', agent: false },
    configPath: join(dir, 'server.properties'),
    installLink: join(dir, 'kafka'),
    installs: {},
    run: { kind: 'command', command: ['true'], pidFile: join(dir, 'pid'), outputFile: join(dir, 'out'), env: {} },
    logFile: join(dir, 'server.log'),
    stop: { signal: 'SIGINT', timeoutSeconds: 60 },
    startTimeoutSeconds: 60,
  };
}
