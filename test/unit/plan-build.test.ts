/**
 * The planner against Kafka's rolling-upgrade procedure (docs/upgrade.html, every
 * release since 0.10.0): pin inter.broker.protocol.version (IBP) and
 * log.message.format.version (LMFV) to the current release, swap the binaries broker by
 * broker, bump IBP once every broker runs the new binaries, wait for the clients, then
 * bump LMFV. LMFV exists from 0.10.0 and is ignored once IBP >= 3.0 (KIP-724); an IBP
 * of 2.1 or higher cannot be downgraded below 2.1 (new consumer-offsets schema). From 3.0
 * (Kafka's 3.x notes) LMFV is pinned only to hold a v0/v1 format through the swap, it is
 * cleared in the IBP bump's restart, the client gate stands before that bump (where the
 * format changes), and the bump itself is a point of no return.
 */
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/model.js';
import { assumedState, brokerOrder, buildUpgradePlan } from '../../src/plan/build.js';
import { ASSUMED_RESTART_SECONDS } from '../../src/plan/steps.js';
import type { Plan, PlanPhase } from '../../src/plan/model.js';
import type { ObservedCluster } from '../../src/plan/observed.js';
import { TEMPLATE_UPGRADES, templateInventory } from '../helpers/plan-templates.js';
import { compareProtocol, messageFormatOf, protocolVersionsAcceptedBy, resolveProtocolVersion } from '../../src/plan/versions.js';
import { previewLines } from '../../src/plan/preview.js';
import { IBP, LMFV, observedState, userErrorOf } from '../helpers/inventory-fixtures.js';

const PHASES = ['pin-versions', 'swap-binaries', 'bump-ibp', 'upgrade-clients', 'bump-lmfv'];
/** From 3.0 the format changes at the IBP bump, so the client gate comes before it. */
const PHASES_3X = ['pin-versions', 'swap-binaries', 'upgrade-clients', 'bump-ibp', 'bump-lmfv'];

/**
 * What Kafka's rules say about each shipped template upgrade, written out by hand:
 * `family` is the value written to server.properties, `lmfv` whether the message format
 * is bumped (absent before 0.10.0, ignored from IBP 3.0), `crosses21` whether IBP goes
 * from below 2.1 to 2.1 or above.
 */
const EXPECTED: Record<string, { from: string; to: string; lmfv: 'bumped' | 'absent' | 'ignored'; crosses21: boolean }> = {
  '0.8.2.2→0.9.0.1': { from: '0.8.2', to: '0.9.0', lmfv: 'absent', crosses21: false },
  '0.10.2.2→0.11.0.3': { from: '0.10.2', to: '0.11.0', lmfv: 'bumped', crosses21: false },
  '0.11.0.3→1.1.1': { from: '0.11.0', to: '1.1', lmfv: 'bumped', crosses21: false },
  '1.1.1→2.0.1': { from: '1.1', to: '2.0', lmfv: 'bumped', crosses21: false },
  '2.0.1→2.8.2': { from: '2.0', to: '2.8', lmfv: 'bumped', crosses21: true },
  '2.8.2→3.0.2': { from: '2.8', to: '3.0', lmfv: 'ignored', crosses21: false },
};

interface Case {
  name: string;
  fromRelease: string;
  toRelease: string;
  expected: (typeof EXPECTED)[string];
  inventory: Inventory;
}

const CASES: Case[] = TEMPLATE_UPGRADES.map(([fromRelease, toRelease]) => {
  const name = `${fromRelease}→${toRelease}`;
  const expected = EXPECTED[name];
  if (!expected) throw new Error(`no expectations written for template ${name}`);
  return { name, fromRelease, toRelease, expected, inventory: templateInventory(fromRelease, toRelease) };
});

const planFor = (c: Case, observed?: ObservedCluster): Plan =>
  buildUpgradePlan(
    c.inventory,
    observed ?? assumedState(c.inventory, c.expected.from),
    { to: c.expected.to },
    observed ? undefined : c.expected.from,
  );
const phase = (plan: Plan, id: string): PlanPhase => {
  const found = plan.phases.find((p) => p.id === id);
  if (!found) throw new Error(`plan has no phase ${id}`);
  return found;
};
const changedKeys = (p: PlanPhase): string[] => [...new Set(p.steps.flatMap((s) => Object.keys(s.changes)))].sort();
const restartsOf = (plan: Plan): number =>
  plan.phases.filter((p) => !p.skipped).reduce((n, p) => n + p.steps.filter((s) => !s.skipped).length, 0);
const restartedBrokers = (p: PlanPhase): number[] => p.steps.filter((s) => !s.skipped).map((s) => s.broker);

interface BrokerState {
  release: string;
  config: Record<string, string | undefined>;
}

/**
 * Apply a plan step by step to `observed`, checking Kafka's rules after every restart:
 * every broker's binaries accept every broker's IBP (it is only bumped once all run the
 * new release), the binaries accept the LMFV, and LMFV never leads IBP while it matters.
 * An unset key means the binary's own release, as Kafka defaults it.
 */
function simulate(plan: Plan, observed: ObservedCluster): Map<number, BrokerState> {
  const state = new Map(observed.brokers.map((b) => [b.id, { release: b.release, config: { ...b.config } }]));
  const knowsLmfv = (release: string) => protocolVersionsAcceptedBy(release).includes('0.10.0-IV0');
  const check = (where: string) => {
    for (const [id, s] of state) {
      const ibp = resolveProtocolVersion(s.config[IBP] ?? s.release) as string;
      for (const [otherId, other] of state) {
        expect(
          protocolVersionsAcceptedBy(other.release),
          `${where}: broker ${otherId} (${other.release}) speaks broker ${id}'s IBP ${ibp}`,
        ).toContain(ibp);
      }
      if (!knowsLmfv(s.release) || compareProtocol(ibp, '3.0') >= 0) continue;
      const lmfv = resolveProtocolVersion(s.config[LMFV] ?? s.release) as string;
      expect(protocolVersionsAcceptedBy(s.release), `${where}: broker ${id} accepts LMFV ${lmfv}`).toContain(lmfv);
      if (s.config[LMFV] !== undefined)
        expect(compareProtocol(lmfv, ibp), `${where}: broker ${id} LMFV ${lmfv} <= IBP ${ibp}`).toBeLessThanOrEqual(0);
      // Unset, LMFV is the binaries' default; Kafka's KafkaConfig then only needs the IBP to support its message format.
      else
        expect(messageFormatOf(lmfv), `${where}: broker ${id} default LMFV ${lmfv}'s format <= IBP ${ibp}'s`).toBeLessThanOrEqual(
          messageFormatOf(ibp),
        );
    }
  };
  check('before the plan');
  for (const p of plan.phases.filter((p) => !p.skipped)) {
    for (const step of p.steps.filter((s) => !s.skipped)) {
      const s = state.get(step.broker) as BrokerState;
      for (const [key, change] of Object.entries(step.changes)) s.config[key] = change.to ?? undefined;
      if (step.install) s.release = step.install.release;
      check(`after ${p.id} on broker ${step.broker}`);
    }
  }
  return state;
}

it('the template upgrades cover every message-format outcome and both sides of 2.1 (the per-kind checks below run)', () => {
  expect([...new Set(CASES.map((c) => c.expected.lmfv))].sort()).toEqual(['absent', 'bumped', 'ignored']);
  expect([...new Set(CASES.map((c) => c.expected.crosses21))].sort()).toEqual([false, true]);
});

describe.each(CASES)('template upgrade $name', (c) => {
  const plan = planFor(c);
  const { expected } = c;

  it("has the five phases in Kafka's order", () => {
    const ignored = expected.lmfv === 'ignored';
    expect(plan.phases.map((p) => p.id)).toEqual(ignored ? PHASES_3X : PHASES);
    expect(plan.phases.map((p) => p.kind)).toEqual(
      ignored ? ['roll', 'roll', 'gate', 'roll', 'roll'] : ['roll', 'roll', 'roll', 'gate', 'roll'],
    );
    expect([plan.from, plan.to]).toEqual([expected.from, expected.to]);
  });

  it('pins, swaps and bumps IBP on every broker', () => {
    // From 2.8 the format is v2 already: Kafka's 3.x notes pin only IBP (LMFV ignored from IBP 3.0).
    expect(changedKeys(phase(plan, 'pin-versions'))).toEqual(expected.lmfv === 'bumped' ? [IBP, LMFV].sort() : [IBP]);
    for (const step of phase(plan, 'pin-versions').steps) expect(step.changes[IBP]).toEqual({ from: null, to: expected.from });
    for (const step of phase(plan, 'swap-binaries').steps) {
      expect(step.install).toEqual({
        link: '/opt/kafka',
        from: `/opt/kafka_2.12-${c.fromRelease}`,
        to: `/opt/kafka_2.12-${c.toRelease}`,
        release: c.toRelease,
      });
    }
    expect(changedKeys(phase(plan, 'bump-ibp'))).toEqual([IBP]);
    for (const step of phase(plan, 'bump-ibp').steps) expect(step.changes[IBP]).toEqual({ from: expected.from, to: expected.to });
    for (const id of ['pin-versions', 'swap-binaries', 'bump-ibp']) expect(restartedBrokers(phase(plan, id))).toEqual([1, 2, 3]);
  });

  it('bumps the message format only where Kafka has one that matters', () => {
    const bump = phase(plan, 'bump-lmfv');
    expect(bump.skipped).toBe(expected.lmfv !== 'bumped');
    if (expected.lmfv === 'bumped') {
      expect(changedKeys(bump)).toEqual([LMFV]);
      for (const step of bump.steps) expect(step.changes[LMFV]).toEqual({ from: expected.from, to: expected.to });
      expect(bump.pointOfNoReturn).toBeTruthy();
    } else {
      expect(bump.steps.every((s) => s.skipped && Object.keys(s.changes).length === 0)).toBe(true);
    }
    if (expected.lmfv === 'absent') {
      // 0.8.2/0.9.0 binaries have no log.message.format.version: no phase may set it.
      expect(bump.reason).toContain('0.10.0');
      expect(plan.phases.flatMap((p) => p.steps).some((s) => LMFV in s.changes)).toBe(false);
    }
    if (expected.lmfv === 'ignored') {
      expect(bump.reason).toMatch(/ignored/);
      expect(bump.reason).toContain('3.0');
      expect(phase(plan, 'bump-ibp').steps.some((s) => LMFV in s.changes)).toBe(false);
    }
  });

  it(`marks bump-ibp as the 2.1 point of no return ${expected.crosses21 ? 'because it crosses 2.1' : 'only if it crosses 2.1 (it does not)'}`, () => {
    const noReturn = phase(plan, 'bump-ibp').pointOfNoReturn ?? '';
    expect(/2\.1/.test(noReturn)).toBe(expected.crosses21);
  });

  it(`marks bump-ibp a point of no return ${expected.lmfv === 'ignored' ? "(Kafka's 3.x notes: no downgrade once the brokers use it)" : 'only when it crosses 2.1'}`, () => {
    const noReturn = phase(plan, 'bump-ibp').pointOfNoReturn;
    expect(noReturn !== undefined).toBe(expected.crosses21 || expected.lmfv === 'ignored');
    if (expected.lmfv === 'ignored')
      expect(noReturn).toContain(`inter.broker.protocol.version ${expected.to}, the cluster can no longer be downgraded`);
  });

  it('the upgrade-clients gate is skipped exactly when the message format does not change', () => {
    const gate = phase(plan, 'upgrade-clients');
    expect(gate.skipped).toBe(expected.lmfv !== 'bumped');
    expect(gate.skipped).toBe(phase(plan, 'bump-lmfv').skipped);
    expect(gate.steps).toEqual([]);
    expect(gate.prompt).toContain(expected.to);
    if (gate.skipped) expect(gate.reason).toBeTruthy();
  });

  it("never lets LMFV lead IBP, nor IBP outrun any broker's binaries, after any step", () => {
    const observed = assumedState(c.inventory, expected.from);
    const end = simulate(plan, observed);
    for (const s of end.values()) {
      expect(s.release).toBe(c.toRelease);
      expect(resolveProtocolVersion(s.config[IBP] as string)).toBe(resolveProtocolVersion(expected.to));
      expect(s.config[LMFV]).toBe({ bumped: expected.to, ignored: undefined, absent: undefined }[expected.lmfv]);
    }
  });

  it('counts one restart per non-skipped step, and estimates from that', () => {
    const rollPhasesRun = expected.lmfv === 'bumped' ? 4 : 3;
    expect(plan.estimate.restarts).toBe(rollPhasesRun * 3);
    expect(plan.estimate.restarts).toBe(restartsOf(plan));
    expect(plan.estimate.seconds).toBe(plan.estimate.restarts * ASSUMED_RESTART_SECONDS);
    expect(plan.estimate.assumption).toContain(`${ASSUMED_RESTART_SECONDS} s`);
  });
});

describe("Kafka's 3.x rules for log.message.format.version (KIP-724: ignored from IBP 3.0)", () => {
  const inv2839 = templateInventory('2.8.2', '3.9.2');
  const inv1039 = templateInventory('0.10.2.2', '3.9.2');
  const text = (plan: Plan) => previewLines(plan).join('\n');

  it('2.8 with LMFV pinned (as the sandbox and many clusters have it) → 3.9: bump-ibp clears LMFV, bump-lmfv is a no-op saying why', () => {
    const observed = observedState(inv2839, '2.8.2', { config: { [IBP]: '2.8', [LMFV]: '2.8' } });
    const plan = buildUpgradePlan(inv2839, observed, { to: '3.9' });
    expect(plan.phases.map((p) => p.id)).toEqual(PHASES_3X);
    const pin = phase(plan, 'pin-versions');
    expect(pin.skipped).toBe(true);
    expect(pin.reason).toContain(`${LMFV} is not pinned`);
    const bump = phase(plan, 'bump-ibp');
    for (const step of bump.steps) expect(step.changes).toEqual({ [IBP]: { from: '2.8', to: '3.9' }, [LMFV]: { from: '2.8', to: null } });
    expect(bump.reason).toMatch(/removed in the same restart.*ignored from inter.broker.protocol.version 3.0/);
    expect(bump.pointOfNoReturn).toContain('can no longer be downgraded');
    expect(bump.pointOfNoReturn).not.toMatch(/v2|2\.1/);
    const lmfv = phase(plan, 'bump-lmfv');
    expect(lmfv.skipped).toBe(true);
    expect(lmfv.reason).toMatch(/deprecated and ignored from inter.broker.protocol.version 3.0.*bump-ibp removes the key/);
    expect(phase(plan, 'upgrade-clients').skipped).toBe(true);
    expect(plan.estimate.restarts).toBe(6);
    for (const s of simulate(plan, observed).values())
      expect([s.config[IBP], s.config[LMFV], s.release]).toEqual(['3.9', undefined, '3.9.2']);
    // The preview says why, for the phases that run as for those skipped.
    const preview = text(plan);
    expect(preview).toContain(`  why: ${bump.reason}`);
    expect(preview).toContain(`  skipped: ${lmfv.reason}`);
    expect(preview).toContain(`${LMFV}: 2.8 → (removed)`);
    expect(preview).toContain('Points of no return: bump-ibp');
  });

  it('2.8 without LMFV → 3.9: LMFV is never written by any phase, and the pin phase says why', () => {
    const observed = observedState(inv2839, '2.8.2');
    const plan = buildUpgradePlan(inv2839, observed, { to: '3.9' });
    expect(plan.phases.flatMap((p) => p.steps).some((s) => LMFV in s.changes)).toBe(false);
    const pin = phase(plan, 'pin-versions');
    expect(pin.title).toBe('Pin inter.broker.protocol.version to the current 2.8');
    expect(pin.reason).toMatch(/is not pinned: the cluster writes message format v2 already/);
    expect(text(plan)).toContain(`  why: ${pin.reason}`);
    expect(phase(plan, 'bump-ibp').title).toBe('Bump inter.broker.protocol.version to 3.9');
  });

  it('0.10.2 → 3.9: LMFV pinned to the IBP (format v1), the client gate before bump-ibp, where v1 becomes v2', () => {
    const observed = observedState(inv1039, '0.10.2.2');
    const plan = buildUpgradePlan(inv1039, observed, { to: '3.9' });
    expect(plan.phases.map((p) => p.id)).toEqual(PHASES_3X);
    for (const step of phase(plan, 'pin-versions').steps)
      expect(step.changes).toEqual({ [IBP]: { from: null, to: '0.10.2' }, [LMFV]: { from: null, to: '0.10.2' } });
    const gate = phase(plan, 'upgrade-clients');
    expect(gate.skipped).toBe(false);
    expect(gate.reason).toMatch(/bump-ibp, next, moves the brokers from message format v1 to v2/);
    const bump = phase(plan, 'bump-ibp');
    expect(bump.pointOfNoReturn).toMatch(/can no longer be downgraded.*2\.1.*becomes v2 now \(from v1\)/);
    for (const step of bump.steps) expect(step.changes[LMFV]).toEqual({ from: '0.10.2', to: null });
    expect(phase(plan, 'bump-lmfv').skipped).toBe(true);
    const preview = text(plan);
    expect(preview.indexOf('upgrade-clients  [gate]')).toBeLessThan(preview.indexOf('bump-ibp  [roll'));
    expect(preview).toContain(`  why: ${gate.reason}`);
    for (const s of simulate(plan, observed).values()) expect([s.config[IBP], s.config[LMFV]]).toEqual(['3.9', undefined]);
  });

  it('an operator-kept LMFV 0.10.2 on a 2.8 cluster → 3.9: the gate runs, since bump-ibp changes the format', () => {
    const observed = observedState(inv2839, '2.8.2', { config: { [IBP]: '2.8', [LMFV]: '0.10.2' } });
    const plan = buildUpgradePlan(inv2839, observed, { to: '3.9' });
    expect(phase(plan, 'upgrade-clients').skipped).toBe(false);
    expect(phase(plan, 'bump-ibp').pointOfNoReturn).toContain('from v1');
  });

  it('re-run on a finished 3.9 cluster restarts nothing; a leftover LMFV on one broker restarts only that broker', () => {
    const done = observedState(inv2839, '3.9.2', { config: { [IBP]: '3.9' } });
    const rerun = buildUpgradePlan(inv2839, { ...done, source: 'hosts' }, { to: '3.9' });
    expect(rerun.phases.every((p) => p.skipped)).toBe(true);
    const leftover = observedState(inv2839, '3.9.2', {
      config: { [IBP]: '3.9' },
      overrides: { 2: { config: { [IBP]: '3.9', [LMFV]: '2.8' } } },
    });
    const plan = buildUpgradePlan(inv2839, { ...leftover, source: 'hosts' }, { to: '3.9' });
    expect(restartedBrokers(phase(plan, 'bump-ibp'))).toEqual([2]);
    expect(plan.estimate.restarts).toBe(1);
  });
});

describe('points of no return that depend on the observed state', () => {
  const c = CASES.find((x) => x.name === '2.8.2→3.0.2') as Case;

  it('IBP 3.0 over a v1 message format (LMFV overridden to 0.10.2) is a point of no return', () => {
    const plan = planFor(c, observedState(c.inventory, c.fromRelease, { config: { [IBP]: '2.8', [LMFV]: '0.10.2' } }));
    expect(phase(plan, 'bump-ibp').pointOfNoReturn).toMatch(/v2/);
  });

  it("over a v2 format already (LMFV 0.11.0-IV0, Kafka's first v2 id) only the IBP itself is (Kafka's 3.x notes: no downgrade after it)", () => {
    const plan = planFor(c, observedState(c.inventory, c.fromRelease, { config: { [IBP]: '2.8', [LMFV]: '0.11.0-IV0' } }));
    expect(phase(plan, 'bump-ibp').pointOfNoReturn).not.toMatch(/v2/);
    expect(phase(plan, 'bump-ibp').pointOfNoReturn).toContain('can no longer be downgraded');
  });
});

describe('skipping what is already done (idempotent re-runs)', () => {
  const c = CASES.find((x) => x.name === '0.10.2.2→0.11.0.3') as Case;
  const fromInstall = `/opt/kafka_2.12-${c.fromRelease}`;
  const toInstall = `/opt/kafka_2.12-${c.toRelease}`;

  it.each([
    ['the short forms', { [IBP]: '0.10.2', [LMFV]: '0.10.2' }],
    ['exact ids', { [IBP]: '0.10.2-IV0', [LMFV]: '0.10.2-IV0' }],
    ['patch releases', { [IBP]: '0.10.2.1', [LMFV]: '0.10.2.1' }],
  ])('IBP and LMFV already pinned with %s: pin-versions is skipped with a reason', (_what, config) => {
    const observed = observedState(c.inventory, c.fromRelease, { config });
    const plan = planFor(c, observed);
    const pin = phase(plan, 'pin-versions');
    expect(pin.skipped).toBe(true);
    expect(pin.reason).toContain(IBP);
    expect(pin.steps.every((s) => s.skipped && s.reason)).toBe(true);
    expect(restartsOf(plan)).toBe(9);
    expect(plan.estimate.restarts).toBe(9);
    simulate(plan, observed);
  });

  it('only IBP pinned: pin-versions restarts every broker for LMFV alone', () => {
    const plan = planFor(c, observedState(c.inventory, c.fromRelease, { config: { [IBP]: '0.10.2' } }));
    const pin = phase(plan, 'pin-versions');
    expect(pin.skipped).toBe(false);
    expect(changedKeys(pin)).toEqual([LMFV]);
  });

  it('an LMFV the operator kept lower than the release is not raised by pinning (Kafka: "keep its current value")', () => {
    const observed = observedState(c.inventory, c.fromRelease, { config: { [IBP]: '0.10.2', [LMFV]: '0.10.0' } });
    const plan = planFor(c, observed);
    expect(phase(plan, 'pin-versions').skipped).toBe(true);
    for (const step of phase(plan, 'bump-lmfv').steps) expect(step.changes[LMFV]).toEqual({ from: '0.10.0', to: '0.11.0' });
    simulate(plan, observed);
  });

  it('broker 2 already fully upgraded: only brokers 1 and 3 restart, in every phase', () => {
    const observed = observedState(c.inventory, c.fromRelease, {
      overrides: { 2: { release: c.toRelease, installDir: toInstall, config: { [IBP]: '0.11.0', [LMFV]: '0.11.0' } } },
    });
    const plan = planFor(c, observed);
    expect(plan.from).toBe('0.10.2');
    for (const id of ['pin-versions', 'swap-binaries', 'bump-ibp', 'bump-lmfv']) {
      const p = phase(plan, id);
      expect(p.skipped, id).toBe(false);
      expect(restartedBrokers(p), id).toEqual([1, 3]);
      const broker2 = p.steps.find((s) => s.broker === 2);
      expect(broker2?.skipped, id).toBe(true);
      expect(broker2?.reason, id).toBeTruthy();
    }
    expect(plan.estimate.restarts).toBe(8);
    expect(restartsOf(plan)).toBe(8);
  });

  it('interrupted half-way through the swap (broker 2 already on the new binaries): the swap restarts 1 and 3 only', () => {
    const observed = observedState(c.inventory, c.fromRelease, {
      config: { [IBP]: '0.10.2', [LMFV]: '0.10.2' },
      overrides: { 2: { release: c.toRelease, installDir: toInstall } },
    });
    const plan = planFor(c, observed);
    expect(phase(plan, 'pin-versions').skipped).toBe(true);
    expect(restartedBrokers(phase(plan, 'swap-binaries'))).toEqual([1, 3]);
    for (const step of phase(plan, 'swap-binaries').steps.filter((s) => !s.skipped)) expect(step.install?.from).toBe(fromInstall);
    expect(restartedBrokers(phase(plan, 'bump-ibp'))).toEqual([1, 2, 3]);
    expect(plan.estimate.restarts).toBe(2 + 3 + 3);
    simulate(plan, observed);
  });

  it('re-planning after pin and swap finished leaves only the bumps', () => {
    const observed = observedState(c.inventory, c.toRelease, { config: { [IBP]: '0.10.2', [LMFV]: '0.10.2' } });
    const plan = planFor(c, observed);
    expect(plan.from).toBe('0.10.2');
    expect(plan.phases.filter((p) => p.skipped).map((p) => p.id)).toEqual(['pin-versions', 'swap-binaries']);
    expect(plan.estimate.restarts).toBe(6);
    simulate(plan, observed);
  });

  it('IBP and LMFV already bumped everywhere: bump-lmfv and the client gate are skipped together', () => {
    const observed = observedState(c.inventory, c.toRelease, { config: { [IBP]: '0.10.2', [LMFV]: '0.11.0' } });
    const plan = buildUpgradePlan(c.inventory, observed, { to: '0.11.0' }, '0.10.2');
    expect(phase(plan, 'bump-lmfv').skipped).toBe(true);
    expect(phase(plan, 'upgrade-clients').skipped).toBe(true);
    expect(phase(plan, 'bump-ibp').skipped).toBe(false);
  });

  it('a cluster read from the hosts already on the target gets a plan that restarts nothing (a re-run)', () => {
    const observed = observedState(c.inventory, c.toRelease, { config: { [IBP]: '0.11.0', [LMFV]: '0.11.0' } });
    const plan = planFor(c, observed);
    expect(plan.phases.every((p) => p.skipped)).toBe(true);
    expect(plan.estimate.restarts).toBe(0);
  });

  it('--from equal to --to (nothing read from the hosts) is refused: nothing to do', () => {
    const observed = { ...observedState(c.inventory, c.toRelease), source: 'assumed' as const };
    const error = userErrorOf(() => planFor(c, observed));
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('NOTHING_TO_DO');
  });
});

describe('controller last', () => {
  it.each([
    [[1, 2, 3], undefined, [1, 2, 3]],
    [[3, 1, 2], undefined, [1, 2, 3]],
    [[1, 2, 3], 1, [2, 3, 1]],
    [[3, 2, 1], 2, [1, 3, 2]],
    [[1, 2, 3], 3, [1, 2, 3]],
    [[1, 2, 3], 7, [1, 2, 3]],
    [[10, 9, 100], 9, [10, 100, 9]],
  ] as const)('brokerOrder(%j, controller %s) = %j', (ids, controller, order) => {
    expect(brokerOrder(ids, controller)).toEqual(order);
  });

  it.each(CASES)('$name with broker 1 the controller: every phase rolls 2, 3, 1', (c) => {
    const plan = planFor(c, observedState(c.inventory, c.fromRelease, { controller: 1 }));
    expect(plan.order).toEqual([2, 3, 1]);
    expect(plan.controller.broker).toBe(1);
    for (const p of plan.phases.filter((p) => p.kind === 'roll'))
      expect(
        p.steps.map((s) => s.broker),
        p.id,
      ).toEqual([2, 3, 1]);
  });

  it('without a known controller the order is by id and says so', () => {
    const plan = planFor(CASES[0] as Case);
    expect(plan.order).toEqual([1, 2, 3]);
    expect(plan.controller.broker).toBeNull();
  });
});

describe('refusals', () => {
  const c = CASES.find((x) => x.name === '0.10.2.2→0.11.0.3') as Case;

  it('no install of the target release for a broker is a UserError naming the broker', () => {
    const inventory = templateInventory(c.fromRelease, c.toRelease);
    const broker = inventory.brokers[1] as Inventory['brokers'][number];
    broker.installs = { [c.fromRelease]: `/opt/kafka_2.12-${c.fromRelease}` };
    const error = userErrorOf(() => buildUpgradePlan(inventory, assumedState(inventory, '0.10.2'), { to: '0.11.0' }, '0.10.2'));
    expect(error.message).toContain(`Broker ${broker.id}`);
    expect(error.code).toBe('TARGET_INSTALL_UNKNOWN');
  });

  it('a downgrade is refused before anything is planned', () => {
    const error = userErrorOf(() => buildUpgradePlan(c.inventory, assumedState(c.inventory, '0.11.0'), { to: '0.10.2' }, '0.11.0'));
    expect(error.code).toBe('DOWNGRADE');
  });
});

describe('the preview says what the leadership-settled gate holds for in each phase', () => {
  const leadershipOf = (name: string): Record<string, string> => {
    const c = CASES.find((k) => k.name === name) as Case;
    const plan = planFor(c);
    const lines = previewLines(plan);
    const out: Record<string, string> = {};
    let current = '';
    for (const line of lines) {
      const head = /^Phase \d+\/\d+ {2}(\S+)/.exec(line);
      if (head) current = head[1] as string;
      else if (line.startsWith('  leadership-settled: ')) out[current] = line;
    }
    return out;
  };
  it('1.1 → 2.0: every rule until the IBP is 2.0, then the time rules are off (KIP-279 needs IBP 2.0-IV0)', () => {
    const by = leadershipOf('1.1.1→2.0.1');
    expect(by['swap-binaries']).toMatch(/every rule holds.*IBP 1\.1-IV0 .*without KIP-279/);
    expect(by['bump-ibp']).toMatch(/every rule holds/);
    expect(by['bump-lmfv']).toMatch(/time rules off.*IBP 2\.0-IV1 truncates by leader epoch/);
  });
  it('0.10.2 → 0.11: every rule in every phase (no leader epochs before IBP 0.11.0-IV2)', () => {
    const by = leadershipOf('0.10.2.2→0.11.0.3');
    expect(Object.keys(by).length).toBeGreaterThan(0);
    for (const line of Object.values(by)) expect(line).toMatch(/every rule holds/);
    expect(by['swap-binaries']).toContain('no leader epochs');
  });
  it('2.8 → 3.0: the time rules are off in every phase', () => {
    for (const line of Object.values(leadershipOf('2.8.2→3.0.2'))) expect(line).toMatch(/time rules off/);
  });
});
