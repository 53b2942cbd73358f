/**
 * The per-broker preflight of a run, as a pure function of what the host reported: the
 * process honours the stop signal, every target install is present and holds the expected
 * release, and the config the broker will end with passes lint. The engine halts on the
 * first problem before any restart; `kafka-ops check` reports every problem as a finding.
 */
import { lintConfig, type LintFinding } from '../config/lint.js';
import { parseProperties, type PropertyEdits } from '../config/properties.js';
import { linkedRelease, type HostFacts } from '../hosts/port.js';
import type { BrokerSpec, StopSignal } from '../inventory/model.js';
import type { Plan, PlanStep } from '../plan/model.js';
import { isSecretKey } from '../config/secret-keys.js';

export type PreflightProblem =
  | { gate: 'stop-signal-honoured'; brokerId: number; signal: StopSignal; pid: number }
  | { gate: 'target-install-present'; brokerId: number; release: string; dir: string; found?: string; message: string }
  | { gate: 'config-lint'; brokerId: number; release: string; findings: LintFinding[] };

/** The steps of the plan's roll phases that restart `brokerId`, in plan order. */
export function restartingSteps(plan: Plan, brokerId: number): PlanStep[] {
  return plan.phases
    .filter((p) => !p.skipped && p.kind === 'roll')
    .flatMap((p) => p.steps.filter((s) => s.broker === brokerId && !s.skipped));
}

export function editsOf(step: PlanStep): PropertyEdits {
  return Object.fromEntries(Object.entries(step.changes).map(([k, c]) => [k, c.to]));
}

/** The release the broker runs after this step: the swap's target, or what its link points at now. */
export function releaseAfter(step: PlanStep, spec: BrokerSpec, facts: HostFacts): string | undefined {
  return step.install ? step.install.release : linkedRelease(spec.installs, facts);
}

/** Whether the install of `release` at `dir` is usable; the problem's message otherwise. */
export function installProblem(spec: BrokerSpec, facts: HostFacts, release: string, dir: string): string | undefined {
  const found = facts.installs[release];
  if (found?.present && (found.release === undefined || found.release === release)) return undefined;
  return found?.present
    ? `Broker ${spec.id}: the install ${dir} on ${spec.host} holds Kafka ${found.release}, not ${release}.`
    : `Broker ${spec.id}: the target install ${dir} (Kafka ${release}) is missing on ${spec.host}.`;
}

/**
 * The server.properties the broker ends with after `steps`, and the release that will run
 * it (undefined when `steps` is empty: the broker is not restarted).
 */
export function finalConfig(
  spec: BrokerSpec,
  facts: HostFacts,
  configText: string,
  steps: readonly PlanStep[],
): { config: Record<string, string>; release?: string } {
  let config = parseProperties(configText);
  for (const step of steps)
    config = { ...config, ...Object.fromEntries(Object.entries(editsOf(step)).filter(([, v]) => v !== null)) } as Record<string, string>;
  const finalStep = steps.at(-1);
  const release = finalStep ? (steps.find((s) => s.install)?.install?.release ?? releaseAfter(finalStep, spec, facts)) : undefined;
  return release ? { config, release } : { config };
}

/**
 * Every preflight problem of one broker that `steps` (its steps of the plan) will restart.
 * `knownKeys`: the config keys of the release it will run, when the host could tell.
 */
export function brokerPreflight(
  spec: BrokerSpec,
  facts: HostFacts,
  configText: string,
  steps: readonly PlanStep[],
  signal: StopSignal,
  knownKeys?: ReadonlySet<string>,
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  if (facts.process?.ignoredSignals.includes(signal))
    problems.push({ gate: 'stop-signal-honoured', brokerId: spec.id, signal, pid: facts.process.pid });
  for (const step of steps) {
    if (!step.install) continue;
    const message = installProblem(spec, facts, step.install.release, step.install.to);
    const found = facts.installs[step.install.release]?.release;
    if (message)
      problems.push({
        gate: 'target-install-present',
        brokerId: spec.id,
        release: step.install.release,
        dir: step.install.to,
        ...(found ? { found } : {}),
        message,
      });
  }
  const { config, release } = finalConfig(spec, facts, configText, steps);
  const errors = release ? lintConfig(config, release, knownKeys).filter((f) => f.severity === 'error') : [];
  if (release && errors.length > 0) problems.push({ gate: 'config-lint', brokerId: spec.id, release, findings: errors });
  return problems;
}

/** A key whose value on the host is none the plan's steps go through: the host changed since the plan was made. */
export interface StaleValue {
  key: string;
  found: string | null;
  expected: Array<string | null>;
}

/**
 * The first key of `steps` (one broker's, in plan order) whose value on the host is neither the
 * first step's `from` nor any step's `to`. Secret keys are not compared: a plan never holds their value.
 */
export function staleValue(steps: readonly PlanStep[], configText: string): StaleValue | undefined {
  const config = parseProperties(configText);
  const allowed = new Map<string, Array<string | null>>();
  for (const step of steps)
    for (const [key, change] of Object.entries(step.changes)) {
      if (isSecretKey(key)) continue;
      const values = allowed.get(key) ?? [change.from];
      allowed.set(key, [...values, change.to]);
    }
  for (const [key, expected] of allowed) {
    const found = config[key] ?? null;
    if (!expected.includes(found)) return { key, found, expected: [...new Set(expected)] };
  }
  return undefined;
}
