import { Flags } from '@oclif/core';
import { gateFlags, inventoryFlag } from '../ui/flags.js';
import { exitCodesHelp } from '../ui/help.js';
import { GateCommand } from '../ui/gate-command.js';

export default class Verify extends GateCommand {
  static override summary = 'Assert the cluster is fully at a release (the gate after an upgrade).';
  static override description = [
    'Every broker runs an install of the release through a process started after its last config or install change; inter.broker.protocol.version and log.message.format.version are at the values the upgrade ends with; every broker is registered; nothing is offline or under-replicated. Touches nothing.',
    'Under GitHub Actions (GITHUB_ACTIONS=true) every finding is also printed as an ::error annotation.',
    exitCodesHelp('the cluster is not (fully) at the release', { halts: false }),
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> verify --at 0.11 --inventory cluster.yaml',
    '<%= config.bin %> verify --at 0.9 --inventory .kafka-ops/sandbox/inventory.yaml --json --junit verify.xml',
  ];
  static override flags = {
    inventory: inventoryFlag,
    at: Flags.string({ description: 'Release the whole cluster must be at, e.g. 0.11 or 2.8.', env: 'KAFKA_OPS_AT' }),
    ...gateFlags,
  };

  protected async report() {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { verify } = await import('../services/check-service.js');
    const { flags } = await this.parse(Verify);
    return { report: await verify({ inventory: flags.inventory, at: flags.at, strict: flags.strict }), junit: flags.junit };
  }
}
