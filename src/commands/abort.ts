import { Flags } from '@oclif/core';
import type { AbortResult, RevertResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { inventoryFlag, stateDirFlag, stateDirOf, yesFlag } from '../ui/flags.js';
import { exitCodesHelp } from '../ui/help.js';
import type { Output } from '../ui/output.js';
import { renderAbort, renderRevert } from '../ui/run-control.js';

export default class Abort extends KafkaOpsCommand<AbortResult | RevertResult> {
  static override summary =
    'Discard an unfinished (halted, interrupted, crashed) run after confirmation; brokers stay as they are. With --revert: take a ZooKeeper → KRaft migration back to ZooKeeper mode.';
  static override description = [
    'Journals the run as aborted, so `resume` no longer continues it and a new `upgrade` or `roll` is no longer refused for it. Refused while a run holds the cluster (local or ZooKeeper lock). No broker is touched: the result says which brokers the run finished and which one it stopped in the middle of.',
    "With --revert (a migration not finalized yet, Kafka 3.9's documented revert): the KRaft controllers are stopped and their log dirs moved aside, ZooKeeper's /controller and /migration deleted, the brokers rolled without the migration keys (every gate) and their __cluster_metadata-0 deleted. Refused once a broker runs as a KRaft broker (the steps are printed) or the migration is finalized.",
    exitCodesHelp(undefined, { halts: false }),
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> abort -i cluster.yaml',
    '<%= config.bin %> abort -i cluster.yaml --yes --json',
    '<%= config.bin %> abort --revert -i cluster.yaml',
  ];
  static override flags = {
    inventory: inventoryFlag,
    'state-dir': stateDirFlag,
    yes: yesFlag,
    revert: Flags.boolean({
      description:
        'Take a ZooKeeper → KRaft migration (before finalize) back to ZooKeeper mode: controllers stopped, /controller and /migration deleted, brokers rolled without the migration keys.',
      default: false,
    }),
  };

  protected async execute(): Promise<AbortResult | RevertResult> {
    const { flags } = await this.parse(Abort);
    const policy = { yes: flags.yes, interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY) };
    if (flags.revert) {
      // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
      const { revertMigration } = await import('../services/migration-revert-service.js');
      return revertMigration({ inventory: flags.inventory, stateDir: stateDirOf(flags), ...policy }, this.io);
    }
    const { abort } = await import('../services/run-control-service.js');
    return abort({ inventory: flags.inventory, stateDir: stateDirOf(flags), ...policy }, this.io);
  }

  protected render(result: AbortResult | RevertResult, output: Output): void {
    if ('point' in result) renderRevert(result, output);
    else renderAbort(result, output);
  }
}
