import { Flags } from '@oclif/core';
import { sandboxDirFlag } from '../../sandbox/dir-flag.js';
import type { SandboxUpResult } from '../../sandbox/up.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import type { Output } from '../../ui/output.js';

export default class SandboxUp extends KafkaOpsCommand<SandboxUpResult> {
  static override summary = 'Start a local Kafka cluster mid-upgrade (ZooKeeper, brokers, sshd) and write its inventory.';
  static override description = [
    'Everything binds to 127.0.0.1 on free ports. Brokers run Kafka 0.9.0.1 with inter.broker.protocol.version pinned to',
    'the "from" release, each started through its install symlink (broker-N/kafka) like a production host, with a topic',
    'kafka-ops-sandbox (replication factor 3, min.insync.replicas=2). Without --kafka-home both installs hold the same',
    'embedded 0.9.0.1 jars. The inventory is written to DIR/inventory.yaml; the broker hosts are reached over the sandbox sshd.',
  ].join('\n');
  static override examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --brokers 5 --partitions 12 --dir /tmp/sbx --json',
    '<%= config.bin %> sandbox up --kafka-home /opt/kafka_2.10-0.8.2.2 --kafka-home /opt/kafka_2.11-0.9.0.1',
  ];
  static override flags = {
    brokers: Flags.integer({ description: 'Number of brokers (3 to 9).', default: 3, min: 3, max: 9, env: 'KAFKA_OPS_SANDBOX_BROKERS' }),
    dir: sandboxDirFlag,
    'kafka-home': Flags.string({
      description: 'Kafka distribution to upgrade FROM, then TO (give it twice; default: the embedded 0.9.0.1 for both).',
      multiple: true,
    }),
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
      `  installs   ${r.installs.from.release} → ${r.installs.to.release}, inter.broker.protocol.version=${r.interBrokerProtocolVersion}`,
    );
    for (const note of r.notes) output.line(`  note: ${note}`);
    output.line(`Inventory: ${r.inventoryPath}`);
  }
}
