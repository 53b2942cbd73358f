/**
 * The KRaft tools (kafka-features.sh, kafka-metadata-quorum.sh) run on one node through a
 * `CommandRunner` (SSH, or locally in tests), from that node's install link. Every argument
 * comes from the inventory or the plan and is quoted by `commandLine`.
 */
import type { FinalizedFeatures, KraftFeatures, KraftQuorum, NodeFeatureSupport, QuorumReplica, QuorumStatus } from './kraft-port.js';
import { InfrastructureError } from '../errors.js';
import type { BrokerSpec, Inventory, KraftSettings } from '../inventory/model.js';
import { finalizeArgs, kraftToolBase } from '../plan/kraft.js';
import { supportedMetadataVersions } from '../plan/versions.js';
import { finalizedFeaturesOf, parseFeaturesDescribe, parseQuorumReplication, parseQuorumStatus } from './kraft-output.js';
import { linkedRelease, type BrokerHost } from '../hosts/port.js';
import type { CommandRunner } from '../hosts/shell/runner.js';
import { commandLine } from '../hosts/shell/shell.js';

/** The JVM tools take a few seconds to start; a hung admin call must not hang the run. */
const TOOL_TIMEOUT_MS = 120_000;

export class ShellKraftTools implements KraftQuorum, KraftFeatures {
  constructor(
    private readonly runner: CommandRunner,
    private readonly toolsNode: BrokerSpec,
    private readonly settings: KraftSettings,
    /** Where each node's supported range comes from (the tool only describes the node that answers it). */
    private readonly supportedBy: (nodes: readonly number[]) => Promise<NodeFeatureSupport[]>,
    /** The replication state read in-process (DescribeQuorum); undefined: run the tool. */
    private readonly replicationInProcess: () => Promise<QuorumReplica[] | undefined> = async () => undefined,
    /** The quorum's status read in-process; undefined: run the tool. */
    private readonly statusInProcess: () => Promise<QuorumStatus | undefined> = async () => undefined,
  ) {}

  private async tool(name: 'kafka-features.sh' | 'kafka-metadata-quorum.sh', args: readonly string[]): Promise<string> {
    const argv = [...kraftToolBase(this.toolsNode, this.settings, name), ...args];
    const result = await this.runner.run(commandLine(argv), { timeoutMs: TOOL_TIMEOUT_MS });
    if (result.code !== 0) {
      const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join(' | ').slice(0, 600);
      throw new InfrastructureError(
        `${name} ${args.join(' ')} failed on ${this.toolsNode.host} (exit ${result.code}): ${said || '(no output)'}`,
        {
          code: 'KRAFT_TOOL_FAILED',
          action: `Run it by hand on ${this.toolsNode.host} to see why (is ${this.settings.bootstrapServer ?? this.settings.bootstrapController} reachable from there? does the install link hold Kafka 3.3+?).`,
          retriable: true,
        },
      );
    }
    return result.stdout;
  }

  async replication(): Promise<QuorumReplica[]> {
    const rows = await this.replicationInProcess();
    if (rows) return rows;
    return parseQuorumReplication(await this.tool('kafka-metadata-quorum.sh', ['describe', '--replication']));
  }

  async status(): Promise<QuorumStatus> {
    const status = await this.statusInProcess();
    if (status) return status;
    return parseQuorumStatus(await this.tool('kafka-metadata-quorum.sh', ['describe', '--status']));
  }

  async finalized(): Promise<FinalizedFeatures> {
    return finalizedFeaturesOf(parseFeaturesDescribe(await this.tool('kafka-features.sh', ['describe'])));
  }

  supported(nodes: readonly number[]): Promise<NodeFeatureSupport[]> {
    return this.supportedBy(nodes);
  }

  async upgradeMetadataVersion(version: string): Promise<void> {
    await this.tool('kafka-features.sh', finalizeArgs(version));
  }
}

/**
 * Each node's supported metadata.version range from the binary its install link points at
 * (Kafka's MetadataVersion table per release). Works over SSH today; the admin API's
 * ApiVersions answer per node is the other source (see README).
 */
export async function binaryFeatureSupport(
  inventory: Inventory,
  host: (id: number) => Promise<BrokerHost>,
  nodes: readonly number[],
): Promise<NodeFeatureSupport[]> {
  const out: NodeFeatureSupport[] = [];
  for (const node of nodes) {
    const spec = inventory.brokers.find((b) => b.id === node);
    if (!spec) throw new TypeError(`node ${node} is not in the inventory`);
    const facts = await (await host(node)).facts();
    const label = linkedRelease(spec.installs, facts);
    const release = (label && facts.installs[label]?.release) ?? label;
    const range = release ? supportedMetadataVersions(release) : undefined;
    out.push({
      node,
      ...(range ? { metadataVersion: range } : {}),
      source: release ? `binary ${release}` : `install link ${facts.linkTarget ?? '(missing)'}`,
    });
  }
  return out;
}
