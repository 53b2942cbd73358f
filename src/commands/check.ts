import { Flags } from '@oclif/core';
import { DEFAULT_MIN_FREE_DISK_PERCENT } from '../check/model.js';
import { gateFlags, inventoryFlag, toFlag } from '../ui/flags.js';
import { exitCodesHelp } from '../ui/help.js';
import { GateCommand } from '../ui/gate-command.js';

export default class Check extends GateCommand {
  static override summary = 'Preflight an upgrade: report every finding, touch nothing.';
  static override description = [
    'Reads every host (over SSH, host keys verified), every server.properties and the cluster state, and reports findings (id, severity, broker or topic, message, fix): hosts reachable; broker processes, installed releases and configs found; the target install on every host; versions consistent and the upgrade path valid; all brokers registered, nothing offline or under-replicated; topics at risk during a roll; controlled shutdown, unclean leader election, stop timeout vs the controlled-shutdown bound, a process ignoring its stop signal; each config linted against the release it will run; free disk of every log dir.',
    'Under GitHub Actions (GITHUB_ACTIONS=true) every finding is also printed as an ::error/::warning/::notice annotation pointing at the broker in the inventory.',
    exitCodesHelp('a finding at error level (with --strict: or a warning)', { halts: false }),
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> check --to 0.11 --inventory cluster.yaml',
    '<%= config.bin %> check --to 0.9 --inventory .kafka-ops/sandbox/inventory.yaml --json --junit check.xml',
    '<%= config.bin %> check --to 2.8 --inventory cluster.yaml --strict --min-free-disk 20',
  ];
  static override flags = {
    inventory: inventoryFlag,
    to: toFlag,
    ...gateFlags,
    'min-free-disk': Flags.integer({
      description: "Percent of free space every log dir's file system must keep.",
      env: 'KAFKA_OPS_MIN_FREE_DISK',
      default: DEFAULT_MIN_FREE_DISK_PERCENT,
      min: 0,
      max: 100,
    }),
  };

  protected async report() {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { check } = await import('../services/check-service.js');
    const { flags } = await this.parse(Check);
    return {
      report: await check({ inventory: flags.inventory, to: flags.to, strict: flags.strict, minFreeDisk: flags['min-free-disk'] }),
      junit: flags.junit,
    };
  }
}
