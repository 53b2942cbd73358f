/**
 * Issue 14: `roll --set` of a secret key printed and stored its old and new values (preview,
 * --json, plan.yaml, journal.jsonl). A secret's value is given by reference (`@env:NAME`,
 * `@file:PATH`), the plan and journal keep the reference and a redacted old value, and only the
 * broker's own server.properties receives the value.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assertNoLiteralSecrets, resolvePlanSecrets, resolveReference } from '../../src/config/secrets.js';
import { isSecretKey, REDACTED, redactSecrets } from '../../src/config/secret-keys.js';
import { previewLines } from '../../src/plan/preview.js';
import { buildRollPlan } from '../../src/plan/roll.js';
import { runPlan } from '../../src/services/run-service.js';
import { FileJournal } from '../../src/store/journal.js';
import { loadPlanFile, planToYaml } from '../../src/store/plan-file.js';
import { memoryCluster, memoryConnections } from '../helpers/memory-engine.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.KO_TEST_KS_PASSWORD;
});

const OLD = 'old-Hunter2-secret';
const NEW = 'new-Correct-Horse-9';

describe('which keys are secrets', () => {
  it('passwords, secrets, JAAS configs, key/keystore/truststore passwords; not ordinary keys', () => {
    for (const k of [
      'ssl.keystore.password',
      'ssl.truststore.password',
      'ssl.key.password',
      'sasl.jaas.config',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config',
      'password.encoder.secret',
      'delegation.token.master.key',
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['num.io.threads', 'ssl.keystore.location', 'delegation.token.expiry.time.ms', 'log.dirs'])
      expect(isSecretKey(k), k).toBe(false);
  });

  it('a literal secret in --set is refused (exit 2); a reference is not', () => {
    expect(() => assertNoLiteralSecrets({ 'ssl.keystore.password': NEW })).toThrow(
      expect.objectContaining({ code: 'SECRET_LITERAL', exitCode: 2 }),
    );
    expect(() => assertNoLiteralSecrets({ 'ssl.keystore.password': '@env:KS', 'num.io.threads': '9' })).not.toThrow();
  });

  it('references resolve from the environment and from a real file; missing ones are exit 2 naming them', () => {
    expect(resolveReference('k.password', '@env:KS', { KS: NEW })).toBe(NEW);
    const file = join(root, 'ks.txt');
    writeFileSync(file, `${NEW}\n`, { mode: 0o600 });
    expect(resolveReference('k.password', `@file:${file}`, {})).toBe(NEW);
    expect(() => resolveReference('k.password', '@env:NOPE', {})).toThrow(
      expect.objectContaining({ code: 'SECRET_UNRESOLVED', message: expect.stringContaining('NOPE') }),
    );
    expect(() => resolveReference('k.password', `@file:${join(root, 'missing')}`, {})).toThrow(
      expect.objectContaining({ code: 'SECRET_UNRESOLVED' }),
    );
  });
});

describe('a roll of a secret key', () => {
  const setup = () => {
    const memory = memoryCluster({
      ids: [1, 2],
      controller: 2,
      partitions: 2,
      replicasOf: () => [1, 2],
      configOf: () => `ssl.keystore.password=${OLD}\n`,
    });
    const configs = Object.fromEntries([1, 2].map((id) => [id, { 'ssl.keystore.password': OLD }]));
    const observed = {
      source: 'hosts' as const,
      controller: 2,
      brokers: [1, 2].map((id) => ({ id, release: '0.10.2.1', installDir: null, config: {} })),
    };
    const env = { KO_TEST_KS_PASSWORD: NEW };
    const plan = buildRollPlan(
      memory.inventory,
      observed,
      { set: { 'ssl.keystore.password': '@env:KO_TEST_KS_PASSWORD' }, unset: [] },
      configs,
      (key, value) => resolveReference(key, value, env),
    );
    return { memory, plan, configs, observed };
  };

  it('the plan, its YAML, its preview and --json hold the reference and a redacted old value, never a value', () => {
    const { plan } = setup();
    const text = [planToYaml(plan), previewLines(plan).join('\n'), JSON.stringify(plan)].join('\n');
    expect(text).not.toContain(OLD);
    expect(text).not.toContain(NEW);
    expect(plan.phases[0]?.steps[0]?.changes['ssl.keystore.password']).toEqual({ from: REDACTED, to: '@env:KO_TEST_KS_PASSWORD' });
  });

  it('a broker that already has the referenced value is skipped (compared with the value, not the reference)', () => {
    const { memory, observed } = setup();
    const plan = buildRollPlan(
      memory.inventory,
      observed,
      { set: { 'ssl.keystore.password': '@env:X' }, unset: [] },
      { 1: { 'ssl.keystore.password': NEW }, 2: { 'ssl.keystore.password': OLD } },
      (key, value) => resolveReference(key, value, { X: NEW }),
    );
    expect(plan.phases[0]?.steps.map((s) => [s.broker, s.skipped])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('plan files refuse a literal secret value (to or from) at its line', () => {
    const { plan } = setup();
    const file = join(root, 'literal.yaml');
    writeFileSync(file, planToYaml(plan).replace('"@env:KO_TEST_KS_PASSWORD"', NEW).replace('@env:KO_TEST_KS_PASSWORD', NEW));
    expect(() => loadPlanFile(file)).toThrow(expect.objectContaining({ code: 'PLAN_RULE', message: expect.stringContaining('secret') }));
    const file2 = join(root, 'literal-from.yaml');
    writeFileSync(file2, planToYaml(plan).replace(REDACTED, OLD));
    expect(() => loadPlanFile(file2)).toThrow(expect.objectContaining({ code: 'PLAN_RULE' }));
    const ok = join(root, 'ok.yaml');
    writeFileSync(ok, planToYaml(plan));
    expect(loadPlanFile(ok)).toEqual(plan);
  });

  it('a real run writes the value to the brokers only: plan.yaml, journal.jsonl and the result hold none', async () => {
    const { memory, plan } = setup();
    process.env.KO_TEST_KS_PASSWORD = NEW;
    const stateDir = join(root, 'state-run');
    const inventory = { ...memory.inventory, state: {} };
    const deps = memory.deps();
    const connections = memoryConnections(deps);
    const io = {
      info: () => undefined,
      openEngineIO: async () => ({
        event: () => undefined,
        confirm: async () => true,
        notice: () => undefined,
        close: async () => undefined,
      }),
    };
    const result = await runPlan(
      plan,
      inventory,
      connections,
      { stateDir, killOnStopTimeout: false, clientsUpgraded: false, yes: true, interactive: false },
      io,
    );
    const configs = await Promise.all([1, 2].map(async (id) => (await deps.host(id)).readConfig()));
    for (const c of configs) expect(c).toContain(`ssl.keystore.password=${NEW}`);
    const journal = new FileJournal(stateDir, inventory.cluster);
    const stored = [readFileSync(journal.planFile, 'utf8'), readFileSync(journal.file, 'utf8'), JSON.stringify(result)].join('\n');
    expect(stored).toContain('ssl.keystore.password');
    expect(stored).not.toContain(NEW);
    expect(stored).not.toContain(OLD);
    // resume applies plan.yaml again: its reference still resolves to the value.
    expect(resolvePlanSecrets(loadPlanFile(journal.planFile)).phases[0]?.steps[0]?.changes['ssl.keystore.password']?.to).toBe(NEW);
  });

  it('redaction reaches any detail under a secret key, keeps references and nulls', () => {
    expect(
      redactSecrets({ changes: { 'sasl.jaas.config': { from: OLD, to: '@file:/x' } }, other: { 'a.b': 'c' }, 'x.password': null }),
    ).toEqual({
      changes: { 'sasl.jaas.config': { from: REDACTED, to: '@file:/x' } },
      other: { 'a.b': 'c' },
      'x.password': null,
    });
  });
});
