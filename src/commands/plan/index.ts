import { Flags } from '@oclif/core';
import type { PlanResult } from '../../services/plan-service.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import { batchOf, canaryFlag, fromFlag, inventoryFlag, parseBrokerList, runFlags, toFlag } from '../../ui/flags.js';
import type { Output } from '../../ui/output.js';
import { previewLines } from '../../plan/preview.js';

export default class PlanCommand extends KafkaOpsCommand<PlanResult> {
  static override summary = 'Build the upgrade plan and preview it (touches nothing).';
  static override description =
    'Builds the five-phase upgrade (pin IBP/LMFV, swap binaries, bump IBP, client gate, bump LMFV) for the cluster in the inventory, shows every restart and server.properties change, and optionally writes it as a reviewable YAML plan file.';
  static override examples = [
    '<%= config.bin %> plan --from 0.10.2 --to 0.11 --inventory cluster.yaml',
    '<%= config.bin %> plan --from 0.10.2 --to 0.11 --inventory cluster.yaml -o upgrade.yaml',
    '<%= config.bin %> plan --migrate-to-kraft --inventory cluster.yaml -o migrate.yaml',
    'KAFKA_OPS_INVENTORY=cluster.yaml <%= config.bin %> plan --from 2.8 --to 3.0 --json',
  ];
  static override flags = {
    inventory: inventoryFlag,
    from: fromFlag,
    to: toFlag,
    canary: canaryFlag,
    batch: Flags.string({
      description:
        'Show how a run with --batch 1|N|auto groups brokers (batches are chosen at run time from the live replica placement; `upgrade --dry-run --batch auto` shows them from the cluster now).',
      env: 'KAFKA_OPS_BATCH',
    }),
    brokers: runFlags.brokers,
    output: Flags.string({ char: 'o', description: 'Write the plan to this YAML file.', env: 'KAFKA_OPS_PLAN_OUT' }),
    'migrate-to-kraft': Flags.boolean({
      description:
        "Plan the ZooKeeper → KRaft migration of a 3.9 cluster onto the inventory's `migration.controllers` (reads the hosts; touches nothing).",
      env: 'KAFKA_OPS_MIGRATE_TO_KRAFT',
      default: false,
    }),
  };

  protected async execute(): Promise<PlanResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { flags } = await this.parse(PlanCommand);
    if (flags['migrate-to-kraft']) return (await import('../../services/migration-service.js')).planMigration(flags);
    const { makePlan } = await import('../../services/plan-service.js');
    const { batch, brokers, ...rest } = flags;
    return makePlan({ ...rest, ...(batch ? { batch: batchOf(batch) } : {}), ...(brokers ? { brokers: parseBrokerList(brokers) } : {}) });
  }

  protected render(result: PlanResult, output: Output): void {
    for (const line of previewLines(result, result.batches)) output.line(line);
    if (result.file) output.line(`\nPlan written to ${result.file}. Apply it with: kafka-ops upgrade --plan ${result.file}`);
  }
}
