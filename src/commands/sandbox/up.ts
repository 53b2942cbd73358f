import { Flags } from '@oclif/core';
import { sandboxDirFlag } from '../../sandbox/dir-flag.js';
import type { SandboxUpResult } from '../../sandbox/up.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import type { Output } from '../../ui/output.js';

export default class SandboxUp extends KafkaOpsCommand<SandboxUpResult> {
  static override summary = 'Start a local Kafka cluster mid-upgrade (ZooKeeper, brokers, sshd) and write its inventory.';
  static override description = [
    'Everything binds to 127.0.0.1 on free ports. ZooKeeper and the brokers run the real --from release (resolved from Maven',
    'Central with mvn the first time, then cached under $KAFKA_OPS_CACHE or ~/.cache/kafka-ops), with inter.broker.protocol.version',
    'and log.message.format.version pinned to it; the --to release is installed beside it. Each broker starts through its',
    'install symlink (broker-N/kafka) like a production host, with a topic kafka-ops-sandbox (replication factor 3,',
    'min.insync.replicas=2). The inventory is written to DIR/inventory.yaml; the broker hosts are reached over the sandbox sshd.',
  ].join('\n');
  static override examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --from 2.8.2 --to 3.9.2 --brokers 3',
    '<%= config.bin %> sandbox up --brokers 5 --partitions 12 --dir /tmp/sbx --json',
    '<%= config.bin %> sandbox up --kafka-home /opt/kafka_2.10-0.8.2.2 --kafka-home /opt/kafka_2.11-0.9.0.1',
  ];
  static override flags = {
    brokers: Flags.integer({ description: 'Number of brokers (3 to 9).', default: 3, min: 3, max: 9, env: 'KAFKA_OPS_SANDBOX_BROKERS' }),
    dir: sandboxDirFlag,
    'kafka-home': Flags.string({
      description: 'Unpacked Kafka distribution to upgrade FROM, then TO (give it twice), instead of --from/--to.',
      multiple: true,
    }),
    from: Flags.string({ description: 'Real Kafka release the cluster starts on (ZooKeeper mode).', default: '0.10.2.2' }),
    to: Flags.string({ description: 'Real Kafka release installed beside it, to upgrade to.', default: '0.11.0.3' }),
    partitions: Flags.integer({ description: 'Partitions of the kafka-ops-sandbox topic.', default: 6, min: 1, max: 200 }),
  };

  protected async execute(): Promise<SandboxUpResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { sandboxUp } = await import('../../sandbox/up.js');
    const { flags } = await this.parse(SandboxUp);
    return sandboxUp({
      dir: flags.dir,
      brokers: flags.brokers,
      partitions: flags.partitions,
      kafkaHomes: flags['kafka-home'] ?? [],
      ...(flags['kafka-home'] ? {} : { releases: { from: flags.from, to: flags.to } }),
      onProgress: (message) => this.output.info(message),
    });
  }

  protected render(r: SandboxUpResult, output: Output): void {
    output.line(`Sandbox up in ${(r.elapsedMs / 1000).toFixed(1)} s: ${r.dir}`);
    output.line(`  ZooKeeper  ${r.zookeeper.connect} (pid ${r.zookeeper.pid})`);
    for (const b of r.brokers) output.line(`  broker ${b.id}   127.0.0.1:${b.port} (pid ${b.pid})  ${b.logFile}`);
    output.line(`  sshd       127.0.0.1:${r.sshd.port} (pid ${r.sshd.pid}, user ${r.sshd.user})`);
    output.line(
      `  topic      ${r.topic.name}: ${r.topic.partitions} partitions, RF ${r.topic.replicationFactor}, min.insync.replicas=${r.topic.minInsyncReplicas}`,
    );
    output.line(
      `  installs   ${r.installs.from.release} → ${r.installs.to.release}, inter.broker.protocol.version=${r.interBrokerProtocolVersion}${r.logMessageFormatVersion ? `, log.message.format.version=${r.logMessageFormatVersion}` : ''}`,
    );
    for (const note of r.notes) output.line(`  note: ${note}`);
    output.line(`Inventory: ${r.inventoryPath}`);
  }
}
