/**
 * The CLI as one module: oclif and every command, which the build bundles into one file
 * (dist/bundle/cli.js, scripts/bundle.mjs) so that start-up loads a handful of files instead of
 * a few hundred. oclif finds the commands through COMMANDS (its `explicit` discovery strategy).
 */
import Abort from './commands/abort.js';
import Check from './commands/check.js';
import Plan from './commands/plan/index.js';
import PlanValidate from './commands/plan/validate.js';
import Resume from './commands/resume.js';
import Roll from './commands/roll.js';
import SandboxDown from './commands/sandbox/down.js';
import SandboxStatus from './commands/sandbox/status.js';
import SandboxUp from './commands/sandbox/up.js';
import Status from './commands/status.js';
import Unlock from './commands/unlock.js';
import Upgrade from './commands/upgrade.js';
import Verify from './commands/verify.js';

export { execute } from '@oclif/core';

export const COMMANDS = {
  abort: Abort,
  check: Check,
  plan: Plan,
  'plan:validate': PlanValidate,
  resume: Resume,
  roll: Roll,
  'sandbox:down': SandboxDown,
  'sandbox:status': SandboxStatus,
  'sandbox:up': SandboxUp,
  status: Status,
  unlock: Unlock,
  upgrade: Upgrade,
  verify: Verify,
};
