import type { AbortResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { inventoryFlag, stateDirFlag, stateDirOf, yesFlag } from '../ui/flags.js';
import { exitCodesHelp } from '../ui/help.js';
import type { Output } from '../ui/output.js';
import { renderAbort } from '../ui/run-control.js';

export default class Abort extends KafkaOpsCommand<AbortResult> {
  static override summary = 'Discard an unfinished (halted, interrupted, crashed) run after confirmation; brokers stay as they are.';
  static override description = [
    'Journals the run as aborted, so `resume` no longer continues it and a new `upgrade` or `roll` is no longer refused for it. Refused while a run holds the cluster (local or ZooKeeper lock). No broker is touched: the result says which brokers the run finished and which one it stopped in the middle of.',
    exitCodesHelp(undefined, { halts: false }),
  ].join('\n\n');
  static override examples = ['<%= config.bin %> abort -i cluster.yaml', '<%= config.bin %> abort -i cluster.yaml --yes --json'];
  static override flags = { inventory: inventoryFlag, 'state-dir': stateDirFlag, yes: yesFlag };

  protected async execute(): Promise<AbortResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { abort } = await import('../services/run-control-service.js');
    const { flags } = await this.parse(Abort);
    return abort(
      {
        inventory: flags.inventory,
        stateDir: stateDirOf(flags),
        yes: flags.yes,
        interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
      },
      this.io,
    );
  }

  protected render(result: AbortResult, output: Output): void {
    renderAbort(result, output);
  }
}
