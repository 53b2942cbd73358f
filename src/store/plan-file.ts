/** Plan files: YAML with a schema pointer, validated by schema and by Kafka's rules. */
import { stringify } from 'yaml';
import { UserError } from '../errors.js';
import { assertMatchesSchema, readYamlFile, type LocatedDocument } from '../files/yaml-document.js';
import type { Plan, PhaseId } from '../plan/model.js';
import type { Inventory } from '../inventory/model.js';
import { assertNoLineBreaks, assertPlanIntegrity } from './plan-integrity.js';
import {
  IBP_KEY,
  LMFV_IGNORED_FROM,
  LMFV_KEY,
  compareKraftRelease,
  compareProtocol,
  compareRelease,
  isKraftOnlyRelease,
  kraftReleaseFamily,
  releaseFamily,
  resolveMetadataVersion,
  resolveProtocolVersion,
} from '../plan/versions.js';
import { MIGRATION_PHASES } from '../plan/migration.js';
import { CHAIN_PHASES } from '../plan/chain.js';
import { planDigest } from './plan-digest.js';
import { writeStateFile } from './safe-write.js';
import { isSecretKey, REDACTED, secretReference } from '../config/secret-keys.js';

const UPGRADE_PHASES: PhaseId[] = ['pin-versions', 'swap-binaries', 'bump-ibp', 'upgrade-clients', 'bump-lmfv'];
/** From 3.0 the message format changes with the IBP bump (LMFV is ignored), so the client gate comes before it. */
const UPGRADE_PHASES_FROM_LMFV_IGNORED: PhaseId[] = ['pin-versions', 'swap-binaries', 'upgrade-clients', 'bump-ibp', 'bump-lmfv'];
const KRAFT_UPGRADE_PHASES: PhaseId[] = ['swap-binaries', 'finalize-metadata-version'];

export function planToYaml(plan: Plan, schemaRef = 'https://kafka-ops.dev/schemas/plan.schema.json'): string {
  return `# yaml-language-server: $schema=${schemaRef}\n# kafka-ops plan: review it, then apply it with \`kafka-ops upgrade --plan <this file>\`.\n${stringify(plan, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The plan with `reviewed` set to the digest of its content: what was reviewed, so an edit after it is noticed. */
export function sealPlan(plan: Plan): Plan {
  const { reviewed: _old, ...content } = plan;
  return { ...content, reviewed: planDigest(content) };
}

/** Writes the plan sealed (`reviewed`), so an edit after this write is refused when it is applied. */
export function writePlanFile(plan: Plan, file: string): void {
  writeStateFile(file, planToYaml(sealPlan(plan)));
}

/** Loads, checks and returns the plan in `file`; given the inventory it is applied with, also that its steps fit it. */
export function loadPlanFile(file: string, inventory?: Inventory): Plan {
  const doc = readYamlFile(file, 'plan');
  const plan = assertMatchesSchema<Plan & { $schema?: string }>(doc, 'schemas/plan.schema.json', 'plan');
  if (plan.reviewed !== undefined && planDigest(plan) !== plan.reviewed)
    throw new UserError(
      `Invalid plan: ${file} was changed after it was written and reviewed (its content no longer has the digest in \`reviewed\`).`,
      {
        code: 'PLAN_ALTERED',
        action:
          'Regenerate it (`kafka-ops plan -o`) and review it again; if the edit is yours and reviewed, delete the `reviewed:` line and run `kafka-ops plan validate` on it. Nothing was touched.',
        location: doc.locate(['reviewed']),
      },
    );
  assertNoLineBreaks(doc, plan);
  assertPlanRules(doc, plan);
  assertPlanIntegrity(doc, plan);
  if (inventory) assertPlanMatchesInventory(doc, plan, inventory);
  return plan;
}

/**
 * The plan file's steps name the inventory's nodes on the inventory's hosts (issue 14): a broker the
 * inventory lacks made the run halt mid-way (exit 4), and a step's host other than the inventory's
 * made the preview show one host while the run used the other. Refused at the step's line.
 */
export function assertPlanFitsInventory(file: string, plan: Plan, inventory: Inventory): void {
  assertPlanMatchesInventory(readYamlFile(file, 'plan'), plan, inventory);
}

function assertPlanMatchesInventory(doc: LocatedDocument, plan: Plan, inventory: Inventory): void {
  const nodes = new Map<number, string>();
  for (const node of [...inventory.brokers, ...(inventory.migration?.controllers ?? [])]) nodes.set(node.id, node.host);
  const fail = (path: Array<string | number>, message: string, action: string): never => {
    throw new UserError(`Invalid plan for ${inventory.source}: ${message}`, {
      code: 'PLAN_INVENTORY_MISMATCH',
      action,
      location: doc.locate(path),
    });
  };
  if (plan.cluster !== inventory.cluster)
    fail(
      ['cluster'],
      `the plan is for cluster ${plan.cluster}, the inventory for ${inventory.cluster}.`,
      'Use the inventory the plan was made for, or make a plan for this cluster. Nothing was touched.',
    );
  plan.phases.forEach((phase, p) =>
    phase.steps.forEach((step, s) => {
      const host = nodes.get(step.broker);
      if (host === undefined)
        fail(
          ['phases', p, 'steps', s, 'broker'],
          `broker ${step.broker} (phase \`${phase.id}\`) is not in the inventory.`,
          'Use the inventory the plan was made for, or regenerate the plan with `kafka-ops plan` for this one. Nothing was touched.',
        );
      if (host !== step.host)
        fail(
          ['phases', p, 'steps', s, 'host'],
          `the step of broker ${step.broker} (phase \`${phase.id}\`) names host ${step.host}, the inventory ${host}: the run would act on ${host}.`,
          'Regenerate the plan with `kafka-ops plan`, or correct the host in the inventory. Nothing was touched.',
        );
    }),
  );
}

/** The rules a schema cannot express: known versions, phase order, LMFV never above IBP. */
export function assertPlanRules(doc: LocatedDocument, plan: Plan): void {
  const fail = (path: Array<string | number>, message: string, action: string): never => {
    throw new UserError(`Invalid plan: ${message}`, { code: 'PLAN_RULE', action, location: doc.locate(path) });
  };
  const kraft = plan.mode === 'kraft';
  // A migration continued to 4.x (plan/chain.ts): `to` is the KRaft release it ends on.
  const chained = plan.kind === 'migration' && isKraftOnlyRelease(plan.to);
  for (const key of ['from', 'to'] as const) {
    if (chained && key === 'to') continue;
    if (kraft && !kraftReleaseFamily(plan[key]))
      fail([key], `\`${key}\` "${plan[key]}" is not a KRaft release kafka-ops knows.`, 'Use a release between 3.3 and 4.1.');
    if (!kraft && !releaseFamily(plan[key]))
      fail([key], `\`${key}\` "${plan[key]}" is not a Kafka release kafka-ops knows.`, 'Use a release between 0.8.2 and 3.9.');
  }
  if (plan.kind === 'migration') {
    const ids = plan.phases.map((p) => p.id);
    const expected: readonly PhaseId[] = chained ? CHAIN_PHASES : MIGRATION_PHASES;
    if (ids.join() !== expected.join())
      fail(
        ['phases'],
        `a migration${chained ? ` continued to ${plan.to}` : ''} has the phases ${expected.join(', ')} in this order; this plan has ${ids.join(', ')}.`,
        'Regenerate the plan with `kafka-ops plan --migrate-to-kraft`; mark phases `skipped` instead of removing them.',
      );
    const noReturn = plan.phases.findIndex((p) => p.pointOfNoReturn);
    if (noReturn !== MIGRATION_PHASES.length - 1)
      fail(
        ['phases'],
        `only the last phase of a migration (finalize-migration) is its point of no return${chained ? ' (after it, only finalize-metadata-version)' : ''}.`,
        'Regenerate the plan with `kafka-ops plan --migrate-to-kraft`.',
      );
    const later = plan.phases.findIndex((p, i) => i > noReturn && p.pointOfNoReturn && p.id !== 'finalize-metadata-version');
    if (later >= 0)
      fail(
        ['phases', later, 'pointOfNoReturn'],
        `phase \`${plan.phases[later]?.id}\` claims a point of no return; after finalize-migration only finalize-metadata-version is one.`,
        'Regenerate the plan with `kafka-ops plan --migrate-to-kraft`.',
      );
  }
  if (plan.kind === 'upgrade') {
    if ((kraft ? compareKraftRelease : compareRelease)(plan.to, plan.from) <= 0)
      fail(
        ['to'],
        `\`to\` ${plan.to} is not newer than \`from\` ${plan.from}.`,
        'kafka-ops does not plan downgrades; regenerate the plan with `kafka-ops plan`.',
      );
    const ids = plan.phases.map((p) => p.id);
    const expected = kraft
      ? KRAFT_UPGRADE_PHASES
      : compareRelease(plan.to, LMFV_IGNORED_FROM) >= 0
        ? UPGRADE_PHASES_FROM_LMFV_IGNORED
        : UPGRADE_PHASES;
    if (ids.join() !== expected.join()) {
      fail(
        ['phases'],
        `an upgrade has the phases ${expected.join(', ')} in this order; this plan has ${ids.join(', ')}.`,
        'Regenerate the plan with `kafka-ops plan`; mark phases `skipped` instead of removing them.',
      );
    }
  }
  const known = new Set(plan.order);
  const ibp = new Map<number, string>();
  const lmfv = new Map<number, string>();
  plan.phases.forEach((phase, p) => {
    if (phase.kind === 'gate' && phase.steps.length > 0)
      fail(['phases', p, 'steps'], `gate phase \`${phase.id}\` has steps.`, 'A gate is a confirmation: give it no steps.');
    if (phase.kind === 'finalize') {
      if (phase.steps.length > 0)
        fail(
          ['phases', p, 'steps'],
          `finalize phase \`${phase.id}\` has steps.`,
          'A finalize phase runs one command and restarts nothing: give it no steps.',
        );
      if (!phase.finalize)
        fail(['phases', p], `finalize phase \`${phase.id}\` has no \`finalize\` command.`, 'Regenerate the plan with `kafka-ops plan`.');
      if (phase.finalize && !resolveMetadataVersion(phase.finalize.to))
        fail(
          ['phases', p, 'finalize', 'to'],
          `metadata.version ${phase.finalize.to} is not one Kafka knows.`,
          'Use an id such as 3.9-IV0 or 4.0-IV3.',
        );
      if (phase.finalize && !known.has(phase.finalize.node))
        fail(
          ['phases', p, 'finalize', 'node'],
          `node ${phase.finalize.node} is not in the plan's \`order\`.`,
          "Run the tool on one of the plan's nodes.",
        );
    }
    if (phase.kind !== 'finalize' && phase.finalize)
      fail(
        ['phases', p, 'finalize'],
        `only a finalize phase carries a \`finalize\` command; \`${phase.id}\` is a ${phase.kind}.`,
        'Remove it, or regenerate the plan.',
      );
    if (phase.skipped && phase.steps.some((s) => !s.skipped)) {
      fail(
        ['phases', p, 'skipped'],
        `phase \`${phase.id}\` is skipped but has steps that are not.`,
        'Mark those steps skipped too, or the phase not skipped.',
      );
    }
    const seen = new Set<number>();
    phase.steps.forEach((step, s) => {
      const at = ['phases', p, 'steps', s];
      if (!known.has(step.broker))
        fail([...at, 'broker'], `broker ${step.broker} is not in the plan's \`order\`.`, 'Add it to `order` or remove the step.');
      if (seen.has(step.broker))
        fail([...at, 'broker'], `broker ${step.broker} has two steps in phase \`${phase.id}\`.`, 'Keep one step per broker per phase.');
      seen.add(step.broker);
      for (const [key, change] of Object.entries(step.changes)) {
        if (isSecretKey(key) && change.to !== null && !secretReference(change.to))
          fail(
            [...at, 'changes', key, 'to'],
            `${key} is a secret: a plan holds a reference to its value, never the value.`,
            `Write it as @env:NAME (an environment variable of the run) or @file:PATH (a file on the machine running kafka-ops).`,
          );
        if (isSecretKey(key) && change.from !== null && change.from !== REDACTED)
          fail(
            [...at, 'changes', key, 'from'],
            `${key} is a secret: a plan does not hold its value before the step.`,
            `Write it as '${REDACTED}' (or null when the key is not set).`,
          );
        if ((key === IBP_KEY || key === LMFV_KEY) && change.to !== null && !resolveProtocolVersion(change.to)) {
          fail(
            [...at, 'changes', key, 'to'],
            `${key}=${change.to} is not a value Kafka accepts.`,
            'Use a release such as 0.11.0 or 2.8, or an exact id such as 2.8-IV1.',
          );
        }
      }
      if (step.skipped) return;
      const nextIbp = step.changes[IBP_KEY]?.to ?? ibp.get(step.broker) ?? step.changes[IBP_KEY]?.from ?? undefined;
      const nextLmfv = step.changes[LMFV_KEY]?.to ?? lmfv.get(step.broker);
      if (nextIbp) ibp.set(step.broker, nextIbp);
      if (nextLmfv) lmfv.set(step.broker, nextLmfv);
      if (step.changes[LMFV_KEY]?.to === null) lmfv.delete(step.broker);
      if (
        nextIbp &&
        nextLmfv &&
        resolveProtocolVersion(nextIbp) &&
        resolveProtocolVersion(nextLmfv) &&
        compareProtocol(nextLmfv, nextIbp) > 0
      ) {
        fail(
          [...at, 'changes'],
          `after this step broker ${step.broker} would have log.message.format.version ${nextLmfv} above inter.broker.protocol.version ${nextIbp}.`,
          'Bump inter.broker.protocol.version in an earlier phase; the message format never leads the protocol.',
        );
      }
    });
    assertOneTarget(phase, p, fail);
  });
}

/**
 * Every step of a phase moves to the phase's one target: the same value of each version key it
 * changes, the same release of install. A step that alone moves elsewhere (one broker's IBP to
 * another release, say) is an edit the phase's title and points of no return no longer describe.
 */
function assertOneTarget(
  phase: Plan['phases'][number],
  p: number,
  fail: (path: Array<string | number>, message: string, action: string) => never,
): void {
  const targets: Array<{ what: string; of: (step: Plan['phases'][number]['steps'][number]) => string | null | undefined; path: string[] }> =
    [
      { what: IBP_KEY, of: (step) => step.changes[IBP_KEY]?.to, path: ['changes', IBP_KEY, 'to'] },
      { what: LMFV_KEY, of: (step) => step.changes[LMFV_KEY]?.to, path: ['changes', LMFV_KEY, 'to'] },
      { what: 'the install release', of: (step) => step.install?.release, path: ['install', 'release'] },
    ];
  for (const { what, of, path } of targets) {
    const counts = new Map<string | null, number>();
    for (const step of phase.steps) {
      const value = of(step);
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    if (counts.size < 2) continue;
    // The phase's target is what most of its steps say (the first one's on a tie).
    const target = [...counts.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
    const s = phase.steps.findIndex((step) => of(step) !== undefined && of(step) !== target);
    const step = phase.steps[s] as Plan['phases'][number]['steps'][number];
    fail(
      ['phases', p, 'steps', s, ...path],
      `the step of broker ${step.broker} moves ${what} to ${String(of(step))}, the other steps of phase \`${phase.id}\` to ${String(target)}.`,
      `Every step of a phase moves to the phase's target: set it to ${String(target)}, or regenerate the plan with \`kafka-ops plan\`.`,
    );
  }
}
