import { Flags } from '@oclif/core';
import type { UpgradeResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { exitCodesHelp } from '../ui/help.js';
import { canaryFlag, inventoryFlag, runFlags, runOptionsOf } from '../ui/flags.js';
import type { Output } from '../ui/output.js';
import { renderUpgradeResult } from '../ui/run-summary.js';

export default class Roll extends KafkaOpsCommand<UpgradeResult> {
  static override summary = 'Roll a server.properties change through the cluster, one broker at a time.';
  static override description = [
    "The same engine as `upgrade`, for one configuration change. `{id}` in a value becomes each broker's id.",
    exitCodesHelp(undefined, { halts: true }),
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> roll --inventory cluster.yaml --set num.io.threads=16',
    "<%= config.bin %> roll --inventory cluster.yaml --set 'log.dirs=/data/kafka-{id}' --unset log.dir --dry-run",
  ];
  static override flags = {
    inventory: inventoryFlag,
    set: Flags.string({ description: 'KEY=VALUE to set (repeatable).', multiple: true, default: [] }),
    unset: Flags.string({ description: 'KEY to remove (repeatable).', multiple: true, default: [] }),
    canary: canaryFlag,
    'allow-unknown-key': Flags.boolean({
      description: 'Let --set keys through that the release does not know (keys read by plugins).',
      default: false,
    }),
    'allow-same-value': Flags.boolean({
      description: 'Let a per-broker key (broker.id, node.id, listeners, log.dirs...) get one value on several brokers.',
      default: false,
    }),
    'dry-run': Flags.boolean({ description: 'Show the plan; touch nothing.', default: false }),
    ...runFlags,
  };

  protected async execute(): Promise<UpgradeResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { roll } = await import('../services/upgrade-service.js');
    const { flags } = await this.parse(Roll);
    return roll(
      {
        inventory: flags.inventory,
        set: flags.set,
        unset: flags.unset,
        canary: flags.canary,
        dryRun: flags['dry-run'],
        allowUnknownKey: flags['allow-unknown-key'],
        allowSameValue: flags['allow-same-value'],
        ...runOptionsOf(flags),
      },
      this.io,
    );
  }

  protected render(result: UpgradeResult, output: Output): void {
    renderUpgradeResult(result, output);
  }
}
