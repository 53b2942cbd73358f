import { sandboxDirFlag } from '../../sandbox/dir-flag.js';
import type { SandboxStatus } from '../../sandbox/status.js';
import { ExitCode } from '../../errors.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import type { Output } from '../../ui/output.js';

export default class SandboxStatusCommand extends KafkaOpsCommand<SandboxStatus> {
  static override summary = 'Show the processes of the local sandbox and the cluster state read from its ZooKeeper.';
  static override description = 'Exits 1 when a process is down or a broker is not registered.';
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --dir /tmp/sbx --json'];
  static override flags = { dir: sandboxDirFlag };

  protected async execute(): Promise<SandboxStatus> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { sandboxStatus } = await import('../../sandbox/status.js');
    const { flags } = await this.parse(SandboxStatusCommand);
    return sandboxStatus(flags.dir);
  }

  protected override exitCodeOf(result: SandboxStatus): number {
    return result.up ? ExitCode.ok : ExitCode.findings;
  }

  protected render(s: SandboxStatus, output: Output): void {
    output.line(`Sandbox ${s.dir}: ${s.up ? 'up' : 'NOT fully up'}`);
    for (const p of s.processes) {
      const name = p.id === undefined ? p.role : `${p.role} ${p.id}`;
      const sigint = p.sigintIgnored ? '  (ignores SIGINT: cannot stop cleanly)' : '';
      output.line(`  ${name.padEnd(10)} pid ${String(p.pid ?? '-').padEnd(8)} ${p.alive ? 'alive' : 'gone'}${sigint}`);
    }
    if (s.clusterError) output.line(`  ZooKeeper ${s.zookeeper}: ${s.clusterError.message}`);
    if (!s.cluster) return;
    const c = s.cluster;
    output.line(
      `  registered brokers: ${c.brokers.join(', ') || 'none'}${c.missingBrokers.length ? ` (missing: ${c.missingBrokers.join(', ')})` : ''}`,
    );
    output.line(`  controller: ${c.controller ?? 'none'}`);
    output.line(`  under-replicated partitions: ${c.underReplicatedCount} of ${c.partitions}; offline: ${c.offline.length}`);
    for (const p of c.underReplicated)
      output.line(`    ${p.topic}-${p.partition}: replicas [${p.replicas.join(',')}] isr [${p.isr.join(',')}] leader ${p.leader}`);
    output.line(`Inventory: ${s.inventoryPath}`);
  }
}
