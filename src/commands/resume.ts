import { Flags } from '@oclif/core';
import type { UpgradeResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { exitCodesHelp } from '../ui/help.js';
import { inventoryFlag, runFlags, runOptionsOf } from '../ui/flags.js';
import type { Output } from '../ui/output.js';
import { renderUpgradeResult } from '../ui/run-summary.js';

export default class Resume extends KafkaOpsCommand<UpgradeResult> {
  static override summary = 'Continue a halted, interrupted or crashed upgrade or roll.';
  static override description = [
    'Applies again the plan of the last run of this cluster (kept in the state dir). What is done is re-derived from the hosts (config values, install link, process start time, ISR), so no broker that is already done is restarted. It names the broker it starts with; --dry-run shows it and touches nothing.',
    exitCodesHelp(undefined, { halts: true }),
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> resume --inventory cluster.yaml',
    '<%= config.bin %> resume --inventory cluster.yaml --yes --json',
    '<%= config.bin %> resume --inventory cluster.yaml --dry-run',
  ];
  static override flags = {
    inventory: inventoryFlag,
    'dry-run': Flags.boolean({
      description: 'Show the plan, the broker the resume starts with and the checks before its first restart; touch nothing.',
      default: false,
    }),
    ...runFlags,
  };

  protected async execute(): Promise<UpgradeResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { resume } = await import('../services/upgrade-service.js');
    const { flags } = await this.parse(Resume);
    return resume({ inventory: flags.inventory, dryRun: flags['dry-run'], ...runOptionsOf(flags) }, this.io);
  }

  protected render(result: UpgradeResult, output: Output): void {
    renderUpgradeResult(result, output);
  }
}
