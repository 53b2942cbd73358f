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
    /** Nodes beyond the controllers (the brokers, for a revert), connected on first use. */
    private readonly connectOther: (id: number) => Promise<{ spec: BrokerSpec; runner: CommandRunner } | undefined> = async () => undefined,
  ) {}

  private readonly others = new Map<number, Promise<{ spec: BrokerSpec; runner: CommandRunner } | undefined>>();

  private node(id: number): { spec: BrokerSpec; runner: CommandRunner } {
    const node = this.nodes.get(id);
    if (!node) throw new TypeError(`node ${id} has no migration tools`);
    return node;
  }

  private async anyNode(id: number): Promise<{ spec: BrokerSpec; runner: CommandRunner }> {
    const node = this.nodes.get(id);
    if (node) return node;
    let other = this.others.get(id);
    if (!other) {
      other = this.connectOther(id);
      this.others.set(id, other);
    }
    const found = await other;
    if (!found) throw new TypeError(`node ${id} has no migration tools`);
    return found;
  }

  private async run(id: number, argv: string[], what: string): Promise<{ code: number; stdout: string }> {
    const { spec, runner } = await this.anyNode(id);
    const result = await runner.run(commandLine(argv), { timeoutMs: 60_000 });
    if (result.code !== 0 && result.code !== 3)
      throw new InfrastructureError(
        `${what} failed on node ${id} (${spec.host}, exit ${result.code}): ${result.stderr.trim().slice(-400)}`,
        {
          code: 'REVERT_STEP_FAILED',
          action: `Do it by hand on ${spec.host} (${commandLine(argv)}), then run \`kafka-ops abort --revert\` again.`,
          retriable: false,
        },
      );
    return result;
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

  async moveLogDirAside(controllerId: number, dir: string, suffix: string): Promise<string | undefined> {
    if (!dir.startsWith('/')) throw new TypeError(`controller ${controllerId}: log dir ${dir} is not absolute`);
    const aside = `${dir.replace(/\/+$/, '')}.reverted-${suffix}`;
    // Exit 3: there is no such dir (never formatted, or moved aside by an earlier revert).
    const { code } = await this.run(
      controllerId,
      ['sh', '-c', 'test -e "$1" || exit 3; mv -- "$1" "$2"', 'sh', dir, aside],
      'Moving the log dir aside',
    );
    return code === 3 ? undefined : aside;
  }

  async removeMetadataLog(brokerId: number, logDirs: readonly string[]): Promise<void> {
    for (const dir of logDirs) {
      if (!dir.startsWith('/')) throw new TypeError(`broker ${brokerId}: log dir ${dir} is not absolute`);
      await this.run(brokerId, ['rm', '-rf', '--', `${dir.replace(/\/+$/, '')}/__cluster_metadata-0`], 'Deleting __cluster_metadata-0');
    }
  }

  async close(): Promise<void> {
    const others = await Promise.all([...this.others.values()].map((o) => o.catch(() => undefined)));
    await Promise.all(others.map((n) => n?.runner.close().catch(() => undefined)));
    await Promise.all([...this.nodes.values()].map((n) => n.runner.close().catch(() => undefined)));
    await this.closeOthers();
  }
}
