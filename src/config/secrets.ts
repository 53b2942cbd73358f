/**
 * Secret config values: which keys hold one, how a plan refers to a value without holding it,
 * and redaction of everything kafka-ops shows or stores (preview, --json, plan.yaml, journal).
 *
 * A secret key's new value is never a literal in a plan: `--set key=@env:NAME` (the variable
 * NAME of the process that applies the plan) or `--set key=@file:PATH` (the file's content on the
 * machine running kafka-ops, one trailing newline dropped). The plan stores that reference, so
 * `resume` and `upgrade --plan` apply the value again; its value before the step is stored as
 * REDACTED. Only the broker's own server.properties ever receives the value.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { Plan } from '../plan/model.js';
import { isSecretKey, secretReference } from './secret-keys.js';

/** A literal secret given on the command line (seen by `ps`, the shell history and every output) is refused. */
export function assertNoLiteralSecrets(set: Record<string, string>): void {
  for (const [key, value] of Object.entries(set)) {
    if (!isSecretKey(key) || secretReference(value)) continue;
    throw new UserError(`--set ${key}: the value of a secret key is not given on the command line.`, {
      code: 'SECRET_LITERAL',
      action: `Pass it by reference: --set ${key}=@env:NAME (an environment variable of the run and of every resume) or --set ${key}=@file:PATH (a file on this machine). Nothing was touched.`,
    });
  }
}

/** The value a reference stands for, read now; a missing variable or unreadable file is a UserError naming it. */
export function resolveReference(key: string, value: string, env: NodeJS.ProcessEnv = process.env): string {
  const ref = secretReference(value);
  if (!ref) return value;
  let resolved: string | undefined;
  if (ref.kind === 'env') resolved = env[ref.name];
  else {
    try {
      resolved = readFileSync(ref.name, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UserError(
        `${key}: the file ${ref.name} of its value cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
        {
          code: 'SECRET_UNRESOLVED',
          action: `Make ${ref.name} readable by this user on this machine, then run again. Nothing was touched.`,
        },
      );
    }
  }
  if (resolved === undefined || resolved === '')
    throw new UserError(`${key}: its value comes from the environment variable ${ref.name}, which is not set.`, {
      code: 'SECRET_UNRESOLVED',
      action: `Export ${ref.name} for this run (and for every \`kafka-ops resume\` of it). Nothing was touched.`,
    });
  if (/[\r\n]/.test(resolved))
    throw new UserError(`${key}: the value of ${value} holds a line break, which server.properties cannot carry.`, {
      code: 'SECRET_UNRESOLVED',
      action: 'Give a one-line value. Nothing was touched.',
    });
  return resolved;
}

/** The plan with every reference replaced by its value: for the engine only, never shown or stored. */
export function resolvePlanSecrets(plan: Plan, env: NodeJS.ProcessEnv = process.env): Plan {
  let any = false;
  const phases = plan.phases.map((phase) => ({
    ...phase,
    steps: phase.steps.map((step) => ({
      ...step,
      changes: Object.fromEntries(
        Object.entries(step.changes).map(([key, change]) => {
          if (!secretReference(change.to)) return [key, change];
          any = true;
          return [key, { ...change, to: resolveReference(key, change.to as string, env) }];
        }),
      ),
    })),
  }));
  return any ? { ...plan, phases } : plan;
}
