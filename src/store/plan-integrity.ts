/**
 * Rules a hand-edited plan file broke while the schema and the phase rules held (issue 14, "plan
 * files are trusted too much"): the client gate bypassed (turned into a roll, or marked skipped
 * while a message-format change follows), keys an upgrade never changes (`listeners`,
 * `unclean.leader.election.enable`) slipped into its phases, pins other than the plan's `from`, a
 * step's `from` other than what an earlier step of the same broker set, and values with a line
 * break. Each is refused at its file:line:column (PLAN_RULE, exit 2), before anything is contacted.
 */
import { UserError } from '../errors.js';
import type { LocatedDocument } from '../files/yaml-document.js';
import type { Plan, PhaseId, PhaseKind } from '../plan/model.js';
import {
  IBP_KEY,
  LMFV_IGNORED_FROM,
  LMFV_KEY,
  compareProtocol,
  configValueFor,
  messageFormatOf,
  resolveProtocolVersion,
} from '../plan/versions.js';

type Fail = (path: Array<string | number>, message: string, action: string) => never;

const failIn =
  (doc: LocatedDocument): Fail =>
  (path, message, action) => {
    throw new UserError(`Invalid plan: ${message}`, { code: 'PLAN_RULE', action, location: doc.locate(path) });
  };

/** The phases of an upgrade, each of one kind; only the version keys are theirs to change. */
const UPGRADE_PHASE_KINDS: Partial<Record<PhaseId, PhaseKind>> = {
  'pin-versions': 'roll',
  'swap-binaries': 'roll',
  'bump-ibp': 'roll',
  'upgrade-clients': 'gate',
  'bump-lmfv': 'roll',
};
const UPGRADE_KEYS = new Set([IBP_KEY, LMFV_KEY]);

/**
 * A value or host with a CR or LF: server.properties is line-based (Java ends a line at either), so
 * such a value is an injected line, never a Kafka setting. Checked before every other rule.
 */
export function assertNoLineBreaks(doc: LocatedDocument, plan: Plan): void {
  const fail = failIn(doc);
  const broken = (value: string | null | undefined): boolean => typeof value === 'string' && /[\r\n]/.test(value);
  plan.phases.forEach((phase, p) =>
    phase.steps.forEach((step, s) => {
      const at = ['phases', p, 'steps', s];
      if (broken(step.host)) fail([...at, 'host'], `the host of broker ${step.broker} holds a line break.`, 'Write the host name alone.');
      for (const [key, change] of Object.entries(step.changes))
        for (const side of ['from', 'to'] as const)
          if (broken(change[side]))
            fail(
              [...at, 'changes', key, side],
              `the value of ${key} (broker ${step.broker}, phase \`${phase.id}\`) holds a line break: ${JSON.stringify(change[side])}.`,
              'A server.properties value is one line: remove the line break (a line after it would be a key of its own).',
            );
      if (step.install)
        for (const field of ['link', 'from', 'to'] as const)
          if (broken(step.install[field]))
            fail(
              [...at, 'install', field],
              `the install ${field} of broker ${step.broker} holds a line break.`,
              'Write the path on one line.',
            );
    }),
  );
}

/** The rules of issue 14 on an upgrade's phases; plans of other kinds pass untouched (see each rule). */
export function assertPlanIntegrity(doc: LocatedDocument, plan: Plan): void {
  const fail = failIn(doc);
  assertUpgradePhaseKinds(plan, fail);
  assertOnlyVersionKeys(plan, fail);
  if (plan.mode !== 'kraft') assertPinsMatchFrom(plan, fail);
  const before = assertFromFollows(plan, fail);
  assertClientGateNotBypassed(plan, before, fail);
}

function assertUpgradePhaseKinds(plan: Plan, fail: Fail): void {
  plan.phases.forEach((phase, p) => {
    const kind = UPGRADE_PHASE_KINDS[phase.id];
    if (kind !== undefined && phase.kind !== kind)
      fail(
        ['phases', p, 'kind'],
        `phase \`${phase.id}\` is a ${kind}, not a ${phase.kind}${phase.id === 'upgrade-clients' ? ': the client gate asks its question before the message format changes, and a roll would skip it' : ''}.`,
        `Write \`kind: ${kind}\`, or regenerate the plan with \`kafka-ops plan\`.`,
      );
  });
}

/** An upgrade's phases change inter.broker.protocol.version and log.message.format.version, nothing else. */
function assertOnlyVersionKeys(plan: Plan, fail: Fail): void {
  plan.phases.forEach((phase, p) => {
    if (UPGRADE_PHASE_KINDS[phase.id] === undefined) return;
    phase.steps.forEach((step, s) => {
      for (const key of Object.keys(step.changes))
        if (!UPGRADE_KEYS.has(key))
          fail(
            ['phases', p, 'steps', s, 'changes', key, 'to'],
            `phase \`${phase.id}\` of an upgrade changes ${key} (broker ${step.broker}); an upgrade changes only ${IBP_KEY} and ${LMFV_KEY}.`,
            `Remove it from the upgrade plan; roll other changes separately with \`kafka-ops roll --set ${key}=...\` and review them there.`,
          );
    });
  });
}

/** pin-versions pins the versions to the plan's `from`: a pin to another release contradicts what was reviewed. */
function assertPinsMatchFrom(plan: Plan, fail: Fail): void {
  const pinned = configValueFor(plan.from);
  plan.phases.forEach((phase, p) => {
    if (phase.id !== 'pin-versions') return;
    phase.steps.forEach((step, s) => {
      for (const key of [IBP_KEY, LMFV_KEY]) {
        const to = step.changes[key]?.to;
        if (to !== undefined && to !== pinned)
          fail(
            ['phases', p, 'steps', s, 'changes', key, 'to'],
            `pin-versions pins ${key} of broker ${step.broker} to ${String(to)}, but the plan's \`from\` ${plan.from} pins it to ${pinned}.`,
            `Pin it to ${pinned}, or regenerate the plan with \`kafka-ops plan\` if the cluster runs another release.`,
          );
      }
    });
  });
}

/** What one broker's key holds before a step: the value an earlier step set and where (null: removed). */
interface Known {
  value: string | null;
  phase: string;
}

/**
 * A step's `from` is what the earlier steps of the same broker leave (the planner plans each phase
 * against the state the previous ones leave behind). Returns, per step, each key's value before it
 * where the plan says it.
 */
function assertFromFollows(plan: Plan, fail: Fail): Map<Plan['phases'][number]['steps'][number], Map<string, string | null>> {
  const state = new Map<number, Map<string, Known>>();
  const before = new Map<Plan['phases'][number]['steps'][number], Map<string, string | null>>();
  plan.phases.forEach((phase, p) =>
    phase.steps.forEach((step, s) => {
      const broker = state.get(step.broker) ?? new Map<string, Known>();
      state.set(step.broker, broker);
      const seen = new Map<string, string | null>([...broker].map(([k, v]) => [k, v.value]));
      for (const [key, change] of Object.entries(step.changes)) {
        const known = broker.get(key);
        if (known !== undefined && known.value !== change.from)
          fail(
            ['phases', p, 'steps', s, 'changes', key, 'from'],
            `the step of broker ${step.broker} in \`${phase.id}\` says ${key} is ${String(change.from)} before it, but \`${known.phase}\` leaves it at ${String(known.value)}.`,
            `Write from: ${known.value === null ? 'null' : known.value}, or regenerate the plan with \`kafka-ops plan\`.`,
          );
        if (!seen.has(key)) seen.set(key, change.from);
        broker.set(key, { value: change.to, phase: phase.id });
      }
      before.set(step, seen);
    }),
  );
  return before;
}

/**
 * The client gate (`upgrade-clients`) may be skipped only when no step after it changes the message
 * format: a log.message.format.version bump, or (from IBP 3.0, where the format follows the protocol)
 * an IBP bump of a broker still writing format v0/v1.
 */
function assertClientGateNotBypassed(
  plan: Plan,
  before: Map<Plan['phases'][number]['steps'][number], Map<string, string | null>>,
  fail: Fail,
): void {
  const g = plan.phases.findIndex((phase) => phase.id === 'upgrade-clients');
  const gate = plan.phases[g];
  if (!gate?.skipped) return;
  const formatOf = (version: string | null | undefined): number | undefined => {
    const id = version ? resolveProtocolVersion(version) : undefined;
    return id ? messageFormatOf(id) : undefined;
  };
  for (const phase of plan.phases.slice(g + 1)) {
    if (phase.skipped) continue;
    for (const step of phase.steps) {
      if (step.skipped) continue;
      const held = before.get(step) ?? new Map<string, string | null>();
      const lmfv = step.changes[LMFV_KEY]?.to;
      const ibp = step.changes[IBP_KEY]?.to;
      const formatBefore = formatOf(held.get(LMFV_KEY)) ?? formatOf(held.get(IBP_KEY) ?? configValueFor(plan.from)) ?? 0;
      const bumpsFormat = lmfv !== undefined && lmfv !== null;
      const ibpTakesFormat =
        !!ibp && resolveProtocolVersion(ibp) !== undefined && compareProtocol(ibp, LMFV_IGNORED_FROM) >= 0 && formatBefore < 2;
      if (bumpsFormat || ibpTakesFormat)
        fail(
          ['phases', g, 'skipped'],
          `the client gate \`upgrade-clients\` is skipped, but \`${phase.id}\` after it changes the message format on broker ${step.broker} (${bumpsFormat ? `${LMFV_KEY} to ${String(lmfv)}` : `${IBP_KEY} to ${ibp}, from format v${formatBefore}`}): older clients would need down-conversion with nobody asked.`,
          'Write `skipped: false` so the run asks (or `--clients-upgraded` answers) before it; skip the gate only in a plan where no format change follows.',
        );
    }
  }
}
