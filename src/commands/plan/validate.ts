import { Args } from '@oclif/core';
import { inventoryFlag } from '../../ui/flags.js';
import type { ValidateResult } from '../../services/plan-service.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import type { Output } from '../../ui/output.js';

export default class PlanValidate extends KafkaOpsCommand<ValidateResult> {
  static override summary = "Check a plan file against the schema and Kafka's upgrade rules.";
  static override examples = [
    '<%= config.bin %> plan validate upgrade.yaml',
    '<%= config.bin %> plan validate plans/0.10.2-to-0.11.0.yaml --json',
    '<%= config.bin %> plan validate upgrade.yaml --inventory cluster.yaml',
  ];
  static override flags = { inventory: inventoryFlag };
  static override args = { file: Args.string({ description: 'Plan file (YAML).', required: true }) };

  protected async execute(): Promise<ValidateResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { validatePlan } = await import('../../services/plan-service.js');
    const { args, flags } = await this.parse(PlanValidate);
    return validatePlan(args.file, flags.inventory);
  }

  protected render(result: ValidateResult, output: Output): void {
    const active = result.plan.phases.filter((p) => !p.skipped).length;
    output.line(
      `${result.file}: valid ${result.plan.kind} plan for ${result.plan.cluster}, ${result.plan.from} → ${result.plan.to}, ${active} phases to run.`,
    );
  }
}
