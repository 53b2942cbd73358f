/**
 * Plan files: the shipped templates validate and are exactly what the planner produces
 * today; a hand-edited plan that breaks the schema or Kafka's rules is refused with the
 * position of the offending text.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPlanFile, planToYaml } from '../../src/store/plan-file.js';
import { templatePlans } from '../helpers/plan-templates.js';
import { LMFV, itRefusesEachLocated, useScratchDir, type BadInputRow } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('plan-file');
const committed = readdirSync('plans')
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const planText = (file: string): string => readFileSync(`plans/${file}`, 'utf8');

describe('shipped plan templates', () => {
  it('there is one template per planned upgrade, and nothing else in plans/', () => {
    expect(committed).toEqual(
      templatePlans()
        .map((t) => t.file)
        .sort(),
    );
    expect(committed.length).toBeGreaterThanOrEqual(6);
  });

  it.each(committed)('%s passes loadPlanFile', (file) => {
    const plan = loadPlanFile(`plans/${file}`);
    expect(plan.kind).toBe('upgrade');
    expect(file).toBe(`${plan.from}-to-${plan.to}${plan.mode === 'kraft' ? '-kraft' : ''}.yaml`);
  });

  it.each(templatePlans())('$file is in sync with the planner (regenerate with scripts/templates.mjs)', ({ file, plan }) => {
    expect(planText(file)).toBe(planToYaml(plan, '../schemas/plan.schema.json'));
  });

  it.each(committed)('%s quotes every version YAML would otherwise read as a number', (file) => {
    // Unquoted, 1.1 and 2.0 are numbers (and 1.10 is 1.1): the planner's YAML quotes them.
    for (const line of planText(file).split('\n')) {
      const value = /^\s*(?:from|to|release|"\d[^"]*"):\s*(\S.*)$/.exec(line)?.[1];
      if (value !== undefined && value !== 'null') expect(value, line).not.toMatch(/^\d+(\.\d+)?$/);
    }
  });

  it.each(templatePlans())('$file round-trips: writing then loading gives the same plan', ({ file, plan }) => {
    const path = scratch.write(`roundtrip-${file}`, planToYaml(plan));
    expect(loadPlanFile(path)).toEqual(plan);
  });
});

/** The 0.10.2 → 0.11.0 template: every phase runs, so every rule has something to bite on. */
const BASE = planText('0.10.2-to-0.11.0.yaml');

const replaced = (text: string, from: string, to: string): string => {
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`template does not contain ${JSON.stringify(from)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
};

/** The text of phase `id` (from its `  - id:` line up to the next phase or `notes:`). */
const phaseBlock = (text: string, id: string): string => {
  const start = text.indexOf(`  - id: ${id}\n`);
  const end = text.slice(start + 1).search(/\n {2}- id: |\nnotes:/) + start + 2;
  return text.slice(start, end);
};

const swapPhases = (text: string, a: string, b: string): string => {
  const [blockA, blockB] = [phaseBlock(text, a), phaseBlock(text, b)];
  return text.replace(blockA, '\u0000A').replace(blockB, blockA).replace('\u0000A', blockB);
};

const LMFV_BUMP_BROKER_1 = `${LMFV}:\n            from: 0.10.2\n            to: 0.11.0`;
const GATE_STEP = '- broker: 1\n        host: kafka1.example.com\n        changes: {}\n        skipped: true\n';

/** The template with broker 2's step of bump-ibp moving IBP to `to` instead of the phase's 0.11.0. */
const oneBrokerIbp = (to: string): string => {
  const block = phaseBlock(BASE, 'bump-ibp');
  const step = block.indexOf('- broker: 2\n');
  const value = block.indexOf('to: 0.11.0', step);
  return BASE.replace(block, `${block.slice(0, value)}to: ${to}${block.slice(value + 'to: 0.11.0'.length)}`);
};

const BAD: BadInputRow[] = [
  [
    "one broker's IBP moved to another release than its phase's (issue 13)",
    oneBrokerIbp('"1.0"'),
    '"1.0"',
    'PLAN_RULE',
    ['the step of broker 2 moves inter.broker.protocol.version to 1.0', 'phase `bump-ibp` to 0.11.0'],
  ],
  [
    'a version written unquoted reads as a number: quote it',
    replaced(BASE, 'to: 0.11.0\nobserved', 'to: 1.1\nobserved'),
    '1.1\nobserved',
    'SCHEMA',
    ['`to` must be a string', 'quote it'],
  ],
  [
    'LMFV above IBP after a step (message format bumped past the protocol)',
    replaced(BASE, LMFV_BUMP_BROKER_1, `${LMFV}:\n            from: 0.10.2\n            to: "1.0"`),
    `${LMFV}:\n            from: 0.10.2\n            to: "1.0"`,
    'PLAN_RULE',
    ['broker 1', `${LMFV} 1.0 above inter.broker.protocol.version 0.11.0`],
  ],
  [
    'LMFV bumped before IBP (bump-lmfv moved before bump-ibp)',
    swapPhases(BASE, 'bump-ibp', 'bump-lmfv'),
    '- id: ',
    'PLAN_RULE',
    ['in this order', 'bump-lmfv, upgrade-clients, bump-ibp'],
  ],
  [
    'phases reordered (swap before pin)',
    swapPhases(BASE, 'pin-versions', 'swap-binaries'),
    '- id: ',
    'PLAN_RULE',
    ['pin-versions, swap-binaries, bump-ibp, upgrade-clients, bump-lmfv in this order', 'swap-binaries, pin-versions'],
  ],
  [
    'a 3.x plan with the client gate after bump-ibp (from IBP 3.0 the format changes at the bump itself)',
    swapPhases(planText('2.8-to-3.0.yaml'), 'upgrade-clients', 'bump-ibp'),
    '- id: ',
    'PLAN_RULE',
    ['pin-versions, swap-binaries, upgrade-clients, bump-ibp, bump-lmfv in this order', 'bump-ibp, upgrade-clients'],
  ],
  [
    'a phase left out',
    BASE.replace(phaseBlock(BASE, 'upgrade-clients'), ''),
    '- id: ',
    'PLAN_RULE',
    ['in this order', 'bump-ibp, bump-lmfv'],
  ],
  [
    'an unknown phase id',
    replaced(BASE, 'id: bump-ibp', 'id: bump-protocol'),
    'bump-protocol',
    'SCHEMA',
    ['`phases.2.id` must be one of', '"bump-ibp"'],
  ],
  [
    'a gate with steps',
    replaced(BASE, 'steps: []\n', `steps:\n      ${GATE_STEP}`),
    GATE_STEP,
    'PLAN_RULE',
    ['gate phase `upgrade-clients` has steps'],
  ],
  [
    'a downgrade (to older than from)',
    replaced(BASE, 'from: 0.10.2\nto: 0.11.0', 'from: 0.11.0\nto: 0.10.2'),
    '0.10.2\nobserved',
    'PLAN_RULE',
    ['`to` 0.10.2 is not newer than `from` 0.11.0'],
  ],
  ['a release Kafka never had', replaced(BASE, 'to: 0.11.0\nobserved', 'to: 0.12.0\nobserved'), '0.12.0', 'PLAN_RULE', ['`to` "0.12.0"']],
  [
    'an IBP value Kafka rejects',
    replaced(BASE, 'to: 0.10.2\n', 'to: 0.10.2-IV7\n'),
    '0.10.2-IV7',
    'PLAN_RULE',
    ['inter.broker.protocol.version=0.10.2-IV7 is not a value Kafka accepts'],
  ],
  [
    'a step for a broker that is not in the order',
    replaced(BASE, '- broker: 3\n', '- broker: 4\n'),
    '4\n',
    'PLAN_RULE',
    ["broker 4 is not in the plan's `order`"],
  ],
  [
    'two steps for one broker in a phase',
    replaced(BASE, '- broker: 3\n', '- broker: 2\n'),
    '2\n        host: kafka3',
    'PLAN_RULE',
    ['broker 2 has two steps in phase `pin-versions`'],
  ],
  [
    'a skipped phase with a step still to run',
    replaced(BASE, 'strategy: serial\n    skipped: false\n', 'strategy: serial\n    skipped: true\n'),
    'true\n',
    'PLAN_RULE',
    ['phase `pin-versions` is skipped but has steps that are not'],
  ],
  [
    'a misspelt key in a phase',
    replaced(BASE, 'pointOfNoReturn:', 'pointOfNoRetrun:'),
    'After the message format is bumped',
    'SCHEMA',
    ['unknown key `pointOfNoRetrun`', '`phases.4`'],
  ],
  [
    'a step without a required key',
    replaced(BASE, '        skipped: false\n', ''),
    'broker: 1',
    'SCHEMA',
    ['`phases.0.steps.0` is missing the required key `skipped`'],
  ],
];

describe('bad plan files are located UserErrors', () => {
  itRefusesEachLocated(BAD, scratch.write, loadPlanFile);
});
