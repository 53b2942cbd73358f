/**
 * `kafka-ops roll --set k=v --unset k`: a one-phase rolling configuration change.
 * Flags are server.properties keys (lower case, dotted) with a one-line value; `{id}` in
 * a value becomes each broker's id. A broker that already has the result is not
 * restarted; when none needs a restart the phase is skipped; the active controller goes
 * last; the release does not change (from = to).
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { Plan, PlanPhase } from '../../src/plan/model.js';
import { planDigest } from '../../src/store/plan-digest.js';
import { loadPlanFile, writePlanFile } from '../../src/store/plan-file.js';
import { buildRollPlan, parseAssignments, type RollRequest } from '../../src/plan/roll.js';
import { templateInventory } from '../helpers/plan-templates.js';
import { observedState, useScratchDir, userErrorOf } from '../helpers/inventory-fixtures.js';

describe('parseAssignments', () => {
  const GOOD: Array<[string, Record<string, string>]> = [
    ['a.b=c', { 'a.b': 'c' }],
    ['x=', { x: '' }],
    ['sasl.jaas.config=org.Foo required user="a=b";', { 'sasl.jaas.config': 'org.Foo required user="a=b";' }],
    ['log.dirs=/data/kafka-{id}', { 'log.dirs': '/data/kafka-{id}' }],
    ['listener.name.sasl_ssl.ssl-x=1', { 'listener.name.sasl_ssl.ssl-x': '1' }],
    ['ssl.cipher.suites=A B C', { 'ssl.cipher.suites': 'A B C' }],
  ];

  it.each(GOOD)('accepts %j', (flag, expected) => {
    expect(parseAssignments([flag])).toEqual(expected);
  });

  it('collects several flags', () => {
    expect(parseAssignments(['a=1', 'b.c=2'])).toEqual({ a: '1', 'b.c': '2' });
    expect(parseAssignments([])).toEqual({});
  });

  const BAD = ['=x', 'Upper=1', 'num.IO.threads=1', '1st=1', ' a=1', 'a b=1', 'novalue', 'a=1\nb=2', 'a=1\r', 'a=\n'];

  it.each(BAD)('rejects %j as a usage error (exit 2)', (flag) => {
    const error = userErrorOf(() => parseAssignments(['ok=1', flag]));
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(ExitCode.badInput);
  });
});

const scratch = useScratchDir('roll-plan');
const inventory = templateInventory('2.8.2', '3.0.2');
const observed = (controller?: number) => observedState(inventory, '2.8.2', controller === undefined ? {} : { controller });
const request = (set: Record<string, string>, unset: string[] = [], canary = false): RollRequest => ({ set, unset, canary });
const onlyPhase = (plan: Plan): PlanPhase => {
  expect(plan.phases).toHaveLength(1);
  return plan.phases[0] as PlanPhase;
};
const stepOf = (plan: Plan, broker: number) => {
  const step = onlyPhase(plan).steps.find((s) => s.broker === broker);
  if (!step) throw new Error(`no step for broker ${broker}`);
  return step;
};

describe('buildRollPlan', () => {
  it('is a roll of the running release: kind roll, from = to', () => {
    const plan = buildRollPlan(inventory, observed(), request({ 'num.io.threads': '16' }), {});
    expect(plan.kind).toBe('roll');
    expect(plan.from).toBe('2.8');
    expect(plan.to).toBe(plan.from);
    expect(plan.cluster).toBe(inventory.cluster);
    expect(onlyPhase(plan)).toMatchObject({ id: 'roll-config', kind: 'roll', strategy: 'serial', skipped: false });
  });

  it('substitutes {id} with each broker’s id', () => {
    const plan = buildRollPlan(inventory, observed(), request({ 'log.dirs': '/data/kafka-{id},/data2/kafka-{id}' }), {
      2: { 'log.dirs': '/data/kafka' },
    });
    for (const id of [1, 2, 3]) expect(stepOf(plan, id).changes['log.dirs']?.to).toBe(`/data/kafka-${id},/data2/kafka-${id}`);
    expect(stepOf(plan, 1).changes['log.dirs']?.from).toBeNull();
    expect(stepOf(plan, 2).changes['log.dirs']?.from).toBe('/data/kafka');
  });

  it('skips the brokers that already have the value, restarts the others', () => {
    const full = { 1: { 'num.io.threads': '16' }, 2: { 'num.io.threads': '8' }, 3: {} };
    const plan = buildRollPlan(inventory, observed(), request({ 'num.io.threads': '16' }), full);
    expect(stepOf(plan, 1)).toMatchObject({ skipped: true, changes: {} });
    expect(stepOf(plan, 1).reason).toBeTruthy();
    expect(stepOf(plan, 2)).toMatchObject({ skipped: false, changes: { 'num.io.threads': { from: '8', to: '16' } } });
    expect(stepOf(plan, 3)).toMatchObject({ skipped: false, changes: { 'num.io.threads': { from: null, to: '16' } } });
    expect(onlyPhase(plan).skipped).toBe(false);
    expect(plan.estimate.restarts).toBe(2);
  });

  it('with {id}, skips exactly the brokers whose value matches their own id', () => {
    const full = { 1: { 'log.dirs': '/data/kafka-1' }, 2: { 'log.dirs': '/data/kafka-1' }, 3: { 'log.dirs': '/data/kafka-3' } };
    const plan = buildRollPlan(inventory, observed(), request({ 'log.dirs': '/data/kafka-{id}' }), full);
    expect(
      onlyPhase(plan)
        .steps.filter((s) => !s.skipped)
        .map((s) => s.broker),
    ).toEqual([2]);
  });

  it('skips the whole phase, with a reason, when every broker already has the values', () => {
    const full = { 1: { a: '1' }, 2: { a: '1' }, 3: { a: '1', b: '' } };
    const plan = buildRollPlan(inventory, observed(3), request({ a: '1' }, ['c']), full);
    const phase = onlyPhase(plan);
    expect(phase.steps.every((s) => s.skipped)).toBe(true);
    expect(phase.skipped).toBe(true);
    expect(phase.reason).toBeTruthy();
    expect(plan.estimate).toMatchObject({ restarts: 0, seconds: 0 });
  });

  it.each([
    [undefined, [1, 2, 3]],
    [1, [2, 3, 1]],
    [2, [1, 3, 2]],
  ])('with controller %s, orders brokers %j (controller last)', (controller, order) => {
    const plan = buildRollPlan(inventory, observed(controller), request({ a: '1' }), {});
    expect(plan.order).toEqual(order);
    expect(onlyPhase(plan).steps.map((s) => s.broker)).toEqual(order);
    expect(plan.controller.broker).toBe(controller ?? null);
  });

  it('unsets a key only on the brokers that have it', () => {
    const full = { 1: { port: '9092' }, 2: {}, 3: { port: '9093', other: 'x' } };
    const plan = buildRollPlan(inventory, observed(), request({}, ['port']), full);
    expect(stepOf(plan, 1)).toMatchObject({ skipped: false, changes: { port: { from: '9092', to: null } } });
    expect(stepOf(plan, 2)).toMatchObject({ skipped: true, changes: {} });
    expect(stepOf(plan, 3)).toMatchObject({ skipped: false, changes: { port: { from: '9093', to: null } } });
    expect(plan.estimate.restarts).toBe(2);
  });

  it('sets and unsets in one step', () => {
    const plan = buildRollPlan(inventory, observed(), request({ listeners: 'PLAINTEXT://:9092' }, ['port']), { 1: { port: '9092' } });
    expect(stepOf(plan, 1).changes).toEqual({ listeners: { from: null, to: 'PLAINTEXT://:9092' }, port: { from: '9092', to: null } });
    expect(stepOf(plan, 2).changes).toEqual({ listeners: { from: null, to: 'PLAINTEXT://:9092' } });
  });

  it('uses the canary strategy when asked', () => {
    expect(onlyPhase(buildRollPlan(inventory, observed(), request({ a: '1' }, [], true), {})).strategy).toBe('serial-canary');
  });

  it('refuses a request that changes nothing', () => {
    const error = userErrorOf(() => buildRollPlan(inventory, observed(), request({}), {}));
    expect(error.code).toBe('USAGE');
  });

  it('writes a plan file that loads back unchanged (what `resume` reads)', () => {
    const plan = buildRollPlan(inventory, observed(2), request({ 'log.dirs': '/data/kafka-{id}' }, ['port']), {
      1: { port: '9092' },
      3: { 'log.dirs': '/data/kafka-3' },
    });
    const file = `${scratch.dir}/plan.yaml`;
    writePlanFile(plan, file);
    expect(loadPlanFile(file)).toEqual({ ...plan, reviewed: planDigest(plan) });
  });
});
