import { Flags } from '@oclif/core';
import { previewLines } from '../plan/preview.js';
import { upgrade, type UpgradeResult } from '../services/upgrade-service.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { canaryFlag, fromFlag, inventoryFlag, toFlag } from '../ui/flags.js';
import type { Output } from '../ui/output.js';

export default class Upgrade extends KafkaOpsCommand<UpgradeResult> {
  static override summary = 'Upgrade the cluster, one broker at a time.';
  static override description =
    'Applies an upgrade plan (given with --plan, or built from --to and the inventory). With --dry-run it only shows the plan and touches nothing.';
  static override examples = [
    '<%= config.bin %> upgrade --to 0.11 --inventory cluster.yaml',
    '<%= config.bin %> upgrade --plan upgrade.yaml --dry-run',
    '<%= config.bin %> upgrade --to 0.9 --inventory .kafka-ops/sandbox/inventory.yaml --yes --json',
  ];
  static override flags = {
    inventory: inventoryFlag,
    from: fromFlag,
    to: toFlag,
    canary: canaryFlag,
    plan: Flags.string({ char: 'p', description: 'Plan file to apply (from `kafka-ops plan -o`).', env: 'KAFKA_OPS_PLAN' }),
    'dry-run': Flags.boolean({ description: 'Show the plan; touch nothing.', env: 'KAFKA_OPS_DRY_RUN', default: false }),
  };

  protected async execute(): Promise<UpgradeResult> {
    const { flags } = await this.parse(Upgrade);
    return upgrade({ ...flags, dryRun: flags['dry-run'] });
  }

  protected render(result: UpgradeResult, output: Output): void {
    for (const line of previewLines(result.plan)) output.line(line);
    if (result.dryRun) output.line('\nDry run: nothing was touched.');
  }
}
