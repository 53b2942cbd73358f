/** The --dir flag every `sandbox` command shares (kept out of src/commands, where each file is a command). */
import { Flags } from '@oclif/core';

export const DEFAULT_SANDBOX_DIR = '.kafka-ops/sandbox';

export const sandboxDirFlag = Flags.string({
  description: 'Directory of the sandbox (state, configs, data, logs, inventory.yaml).',
  default: DEFAULT_SANDBOX_DIR,
  env: 'KAFKA_OPS_SANDBOX_DIR',
});
