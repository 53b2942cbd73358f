import { Flags } from '@oclif/core';
import type { UnlockResult } from '../results.js';
import { KafkaOpsCommand } from '../ui/base-command.js';
import { inventoryFlag, stateDirFlag, stateDirOf } from '../ui/flags.js';
import { exitCodesHelp } from '../ui/help.js';
import type { Output } from '../ui/output.js';
import { renderUnlock } from '../ui/run-control.js';

export default class Unlock extends KafkaOpsCommand<UnlockResult> {
  static override summary = "Break the cluster's locks (state dir and ZooKeeper) whose holder is gone.";
  static override description = [
    'A holder provably gone (this host and boot, no such process) is removed. A holder on another host or container cannot be checked from here: it is removed only with --force, once you made sure that run is gone. A holder provably running is never removed, --force or not: stop that run instead.',
    exitCodesHelp(undefined, { halts: false }),
  ].join('\n\n');
  static override examples = ['<%= config.bin %> unlock -i cluster.yaml', '<%= config.bin %> unlock -i cluster.yaml --force'];
  static override flags = {
    inventory: inventoryFlag,
    'state-dir': stateDirFlag,
    force: Flags.boolean({
      description: 'Also remove a lock whose holder is on another host or container (cannot be checked from here).',
      default: false,
    }),
  };

  protected async execute(): Promise<UnlockResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { unlock } = await import('../services/run-control-service.js');
    const { flags } = await this.parse(Unlock);
    return unlock({ inventory: flags.inventory, stateDir: stateDirOf(flags), force: flags.force });
  }

  protected render(result: UnlockResult, output: Output): void {
    renderUnlock(result, output);
  }
}
