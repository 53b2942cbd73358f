import type { StatusResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { inventoryFlag, stateDirFlag, stateDirOf } from '../ui/flags.js';
import { exitCodesHelp } from '../ui/help.js';
import type { Output } from '../ui/output.js';
import { renderStatus } from '../ui/run-control.js';

export default class Status extends KafkaOpsCommand<StatusResult> {
  static override summary = 'Show whether a run of the cluster is in progress or unfinished, by whom, where, and what to run next.';
  static override description = [
    "Reads the state dir (journal, local lock) and the lock in the cluster's ZooKeeper; touches nothing. States: none, running, halted, interrupted, crashed (ended without a word), completed, aborted.",
    exitCodesHelp(undefined, { halts: false, infrastructure: false }),
  ].join('\n\n');
  static override examples = ['<%= config.bin %> status -i cluster.yaml', '<%= config.bin %> status -i cluster.yaml --json'];
  static override flags = { inventory: inventoryFlag, 'state-dir': stateDirFlag };

  protected async execute(): Promise<StatusResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { status } = await import('../services/run-control-service.js');
    const { flags } = await this.parse(Status);
    return status({ inventory: flags.inventory, stateDir: stateDirOf(flags) });
  }

  protected render(result: StatusResult, output: Output): void {
    renderStatus(result, output);
  }
}
