import { Flags } from '@oclif/core';
import type { UpgradeResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { exitCodesHelp } from '../ui/help.js';
import { canaryFlag, fromFlag, inventoryFlag, runFlags, runOptionsOf, toFlag } from '../ui/flags.js';
import type { Output } from '../ui/output.js';
import { renderUpgradeResult } from '../ui/run-summary.js';

export default class Upgrade extends KafkaOpsCommand<UpgradeResult> {
  static override summary = 'Upgrade the cluster, one broker at a time.';
  static override description = [
    'Applies an upgrade plan (given with --plan, or built from --to and what the hosts run now) over SSH: per broker, health gates, config edit + lint, graceful stop, binary swap, start, and wait until caught up. With --dry-run it only shows the plan.',
    exitCodesHelp(undefined, { halts: true }),
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> upgrade --to 0.11 --inventory cluster.yaml',
    '<%= config.bin %> upgrade --plan upgrade.yaml --inventory cluster.yaml',
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
    'migrate-to-kraft': Flags.boolean({
      description: "Migrate a ZooKeeper-mode 3.9 cluster to KRaft onto the inventory's `migration.controllers` (README: Migration).",
      env: 'KAFKA_OPS_MIGRATE_TO_KRAFT',
      default: false,
    }),
    ...runFlags,
  };

  protected async execute(): Promise<UpgradeResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { flags } = await this.parse(Upgrade);
    if (flags['migrate-to-kraft'])
      return (await import('../services/migration-service.js')).migrate(
        { ...flags, dryRun: flags['dry-run'], ...runOptionsOf(flags) },
        this.io,
      );
    const { upgrade } = await import('../services/upgrade-service.js');
    return upgrade({ ...flags, dryRun: flags['dry-run'], ...runOptionsOf(flags) }, this.io);
  }

  protected render(result: UpgradeResult, output: Output): void {
    renderUpgradeResult(result, output);
  }
}
