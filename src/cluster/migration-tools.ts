/**
 * The migration's own tools over SSH on each controller host (cluster/kraft-port.ts
 * `MigrationTools`): kafka-storage.sh from the controller's install link, a fixed-string grep
 * of its log, and the cluster id from ZooKeeper. Every argument is quoted by `commandLine`.
 */
import { InfrastructureError } from '../errors.js';
import type { BrokerSpec } from '../inventory/model.js';
import type { CommandRunner } from '../hosts/shell/runner.js';
import { commandLine } from '../hosts/shell/shell.js';
import type { MigrationTools } from './kraft-port.js';

const FORMAT_TIMEOUT_MS = 120_000;

export class ShellMigrationTools implements MigrationTools {
  constructor(
    private readonly nodes: ReadonlyMap<number, { spec: BrokerSpec; runner: CommandRunner }>,
    private readonly readClusterId: () => Promise<string | undefined>,
    private readonly closeOthers: () => Promise<void> = async () => {},
  ) {}

  private node(id: number): { spec: BrokerSpec; runner: CommandRunner } {
    const node = this.nodes.get(id);
    if (!node) throw new TypeError(`node ${id} has no migration tools`);
    return node;
  }

  async clusterId(): Promise<string> {
    const id = await this.readClusterId();
    if (!id)
      throw new InfrastructureError('ZooKeeper has no /cluster/id: no broker of this cluster has ever started against it.', {
        code: 'NO_CLUSTER_ID',
        action: 'Check `state.zookeeper` (chroot included) against the brokers’ zookeeper.connect.',
        retriable: false,
      });
    return id;
  }

  async formatStorage(controllerId: number, clusterId: string): Promise<'formatted' | 'already-formatted'> {
    const { spec, runner } = this.node(controllerId);
    const argv = [
      `${spec.installLink}/bin/kafka-storage.sh`,
      'format',
      '--cluster-id',
      clusterId,
      '--config',
      spec.configPath,
      '--ignore-formatted',
    ];
    const result = await runner.run(commandLine(argv), { timeoutMs: FORMAT_TIMEOUT_MS });
    const said = `${result.stdout}\n${result.stderr}`.trim();
    if (result.code !== 0)
      throw new InfrastructureError(
        `kafka-storage.sh format failed on controller ${controllerId} (exit ${result.code}): ${said.slice(-600)}`,
        {
          code: 'FORMAT_FAILED',
          action: `Run it by hand on ${spec.host} (${commandLine(argv)}) to see why; then run the migration again.`,
          retriable: false,
        },
      );
    return /already formatted/i.test(said) ? 'already-formatted' : 'formatted';
  }

  async logLines(nodeId: number, text: string): Promise<string[]> {
    const { spec, runner } = this.node(nodeId);
    // grep exits 1 when nothing matches and 2 when the file is missing (a node not started yet): both are "no lines".
    const result = await runner.run(commandLine(['grep', '-F', '--', text, spec.logFile]), { timeoutMs: 30_000 });
    return result.code === 0 ? result.stdout.split('\n').filter((l) => l !== '') : [];
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.runner.close().catch(() => undefined)));
    await this.closeOthers();
  }
}
