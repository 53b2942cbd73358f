import { Flags } from '@oclif/core';
import { sandboxDirFlag } from '../../sandbox/dir-flag.js';
import type { KraftSandboxUpResult } from '../../sandbox/kraft-sandbox.js';
import type { SandboxUpResult } from '../../sandbox/up.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import type { Output } from '../../ui/output.js';

/** The mission's headline upgrade: what `sandbox up` starts when no release is named. */
const DEFAULT_ZOOKEEPER_FROM = '0.10.2.2';
const DEFAULT_ZOOKEEPER_TO = '0.11.0.3';

export default class SandboxUp extends KafkaOpsCommand<SandboxUpResult | KraftSandboxUpResult> {
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
    '<%= config.bin %> sandbox up --from 2.8.2 --to 3.9.2 --brokers 6 --racks 3',
    '<%= config.bin %> sandbox up --kafka-home /opt/kafka_2.10-0.8.2.2 --kafka-home /opt/kafka_2.11-0.9.0.1',
    '<%= config.bin %> sandbox up --mode kraft --from 3.9.2 --to 4.4.0 --controllers 3 --brokers 3',
    '<%= config.bin %> sandbox up --mode kraft --from 3.9.2 --to 4.4.0 --security sasl-ssl',
    '<%= config.bin %> sandbox up --mode kraft --from 3.9.2 --to 4.4.0 --combined 3 --security sasl-ssl',
    '<%= config.bin %> sandbox up --from 3.9.2 --kraft-controllers 3',
    '<%= config.bin %> sandbox up --mode kraft --kafka-home /opt/kafka_2.13-3.9.2 --kafka-home /opt/kafka_2.13-4.4.0',
  ];
  static override flags = {
    brokers: Flags.integer({ description: 'Number of brokers (3 to 9).', default: 3, min: 3, max: 9, env: 'KAFKA_OPS_SANDBOX_BROKERS' }),
    dir: sandboxDirFlag,
    'kafka-home': Flags.string({
      description: 'Unpacked Kafka distribution to upgrade FROM, then TO (give it twice), instead of --from/--to.',
      multiple: true,
    }),
    partitions: Flags.integer({ description: 'Partitions of the kafka-ops-sandbox topic.', default: 6, min: 1, max: 200 }),
    racks: Flags.integer({
      description:
        'ZooKeeper mode: spread the brokers over N racks (broker.rack r1, r2, … round robin; releases 0.10+): the topic gets rack-aware placement.',
      min: 1,
      max: 9,
    }),
    mode: Flags.string({
      description:
        "zookeeper (default) or kraft: dedicated controllers (a static quorum) and brokers of real 3.x/4.x releases, storage formatted with the FROM release's own tool.",
      options: ['zookeeper', 'kraft'],
      default: 'zookeeper',
    }),
    from: Flags.string({
      description: `Real Kafka release the cluster starts on, resolved from Maven Central (cached). ZooKeeper mode: default ${DEFAULT_ZOOKEEPER_FROM}; --mode kraft: required, e.g. 3.9.2.`,
    }),
    to: Flags.string({
      description: `Real Kafka release installed beside it, to upgrade to. ZooKeeper mode: default ${DEFAULT_ZOOKEEPER_TO}; --mode kraft: required, e.g. 4.4.0.`,
    }),
    controllers: Flags.integer({ description: 'KRaft only: number of dedicated controllers (1, 3 or 5).', default: 3, min: 1, max: 5 }),
    combined: Flags.integer({
      description:
        'KRaft only: N combined nodes (process.roles=broker,controller; 3 or 5), each a voter of the static quorum and a broker, instead of --controllers and --brokers.',
      min: 3,
      max: 5,
    }),
    security: Flags.string({
      description:
        "KRaft only: sasl-ssl gives each broker a second listener with TLS (a key pair made with keytool) and SASL/SCRAM-SHA-512 (the user created by the FROM release's own storage tool at format time); the inventory then reads the cluster and runs the tools over it, naming the password file and the tools' client properties, never a password. Also writes inventory-plaintext.yaml.",
      options: ['plaintext', 'sasl-ssl'],
      default: 'plaintext',
    }),
    'kraft-controllers': Flags.integer({
      description:
        'ZooKeeper mode on 3.9: also install this many KRaft controllers (ids 3000…, not started) and name them in the inventory, the starting point of `upgrade --migrate-to-kraft`.',
      min: 1,
      max: 5,
    }),
  };

  protected async execute(): Promise<SandboxUpResult | KraftSandboxUpResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { flags } = await this.parse(SandboxUp);
    if (flags.mode === 'kraft') {
      if (flags.racks !== undefined) {
        const { UserError } = await import('../../errors.js');
        throw new UserError('--racks is for ZooKeeper-mode sandboxes', {
          code: 'SANDBOX_USAGE',
          action:
            'Leave out --racks with --mode kraft, or start a ZooKeeper-mode sandbox (e.g. --from 2.8.2 --to 3.9.2 --brokers 6 --racks 3).',
        });
      }
      let homes = flags['kafka-home'] ?? [];
      if (flags.from || flags.to) {
        const { UserError } = await import('../../errors.js');
        if (!flags.from || !flags.to || homes.length > 0)
          throw new UserError('Give both --from and --to (resolved from Maven Central), or --kafka-home twice, not a mix', {
            code: 'SANDBOX_USAGE',
            action: 'e.g. `kafka-ops sandbox up --mode kraft --from 3.9.2 --to 4.4.0`.',
          });
        const { resolveRelease } = await import('../../sandbox/releases/index.js');
        homes = [];
        for (const version of [flags.from, flags.to])
          homes.push((await resolveRelease(version, { onProgress: (m) => this.output.info(m) })).home);
      }
      if (homes.length !== 2) {
        const { UserError } = await import('../../errors.js');
        throw new UserError(`--mode kraft needs two releases; --kafka-home was given ${homes.length} time(s)`, {
          code: 'SANDBOX_USAGE',
          action: 'Give --from 3.9.2 --to 4.4.0 (resolved from Maven Central), or --kafka-home twice: FROM_DIR (with bin/), then TO_DIR.',
        });
      }
      const { kraftSandboxUp } = await import('../../sandbox/kraft-sandbox.js');
      return kraftSandboxUp({
        dir: flags.dir,
        controllers: flags.controllers,
        brokers: flags.brokers,
        ...(flags.combined === undefined ? {} : { combined: flags.combined }),
        partitions: flags.partitions,
        kafkaHomes: [homes[0] as string, homes[1] as string],
        security: flags.security as 'plaintext' | 'sasl-ssl',
        onProgress: (message) => this.output.info(message),
      });
    }
    if (flags.security !== 'plaintext') {
      const { UserError } = await import('../../errors.js');
      throw new UserError(`--security ${flags.security} is for KRaft sandboxes`, {
        code: 'SANDBOX_USAGE',
        action:
          'Add --mode kraft (e.g. `kafka-ops sandbox up --mode kraft --from 3.9.2 --to 4.4.0 --security sasl-ssl`), or leave out --security.',
      });
    }
    if (flags.combined !== undefined) {
      const { UserError } = await import('../../errors.js');
      throw new UserError('--combined is for KRaft sandboxes', {
        code: 'SANDBOX_USAGE',
        action:
          'Add --mode kraft (e.g. `kafka-ops sandbox up --mode kraft --from 3.9.2 --to 4.4.0 --combined 3`), or leave out --combined.',
      });
    }
    const { sandboxUp } = await import('../../sandbox/up.js');
    return sandboxUp({
      dir: flags.dir,
      brokers: flags.brokers,
      partitions: flags.partitions,
      ...(flags.racks !== undefined ? { racks: flags.racks } : {}),
      kafkaHomes: flags['kafka-home'] ?? [],
      ...(flags['kafka-home'] ? {} : { releases: zookeeperReleases(flags.from, flags.to, flags['kraft-controllers']) }),
      ...(flags['kraft-controllers'] === undefined ? {} : { kraftControllers: flags['kraft-controllers'] }),
      onProgress: (message) => this.output.info(message),
    });
  }

  protected render(result: SandboxUpResult | KraftSandboxUpResult, output: Output): void {
    if ('mode' in result) {
      output.line(`KRaft sandbox up in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.dir} (cluster id ${result.clusterId})`);
      for (const c of result.controllers) output.line(`  controller ${c.id}  127.0.0.1:${c.port} (pid ${c.pid})  ${c.logFile}`);
      for (const b of result.brokers)
        output.line(
          `  broker ${b.id}      127.0.0.1:${b.port}${b.securePort !== undefined ? `, SASL_SSL 127.0.0.1:${b.securePort}` : ''} (pid ${b.pid})  ${b.logFile}`,
        );
      if (result.sasl)
        output.line(
          `  SASL_SSL      SCRAM-SHA-512 user ${result.sasl.user}, password in ${result.sasl.passwordFile}, CA ${result.sasl.caFile}, tools' --command-config ${result.sasl.commandConfig}`,
        );
      output.line(`  sshd          127.0.0.1:${result.sshd.port} (pid ${result.sshd.pid}, user ${result.sshd.user})`);
      output.line(`  installs      ${result.installs.from.release} → ${result.installs.to.release}`);
      output.line(
        `Inventory: ${result.inventoryPath}${result.plaintextInventoryPath ? ` (over PLAINTEXT: ${result.plaintextInventoryPath})` : ''}`,
      );
      return;
    }
    const r = result;
    output.line(`Sandbox up in ${(r.elapsedMs / 1000).toFixed(1)} s: ${r.dir}`);
    output.line(`  ZooKeeper  ${r.zookeeper.connect} (pid ${r.zookeeper.pid})`);
    for (const b of r.brokers)
      output.line(`  broker ${b.id}   127.0.0.1:${b.port} (pid ${b.pid})${b.rack ? `  rack ${b.rack}` : ''}  ${b.logFile}`);
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

/** ZooKeeper mode's releases: the defaults, or for a migration's starting point the --from release on both sides. */
function zookeeperReleases(
  from: string | undefined,
  to: string | undefined,
  kraftControllers: number | undefined,
): { from: string; to: string } {
  if (kraftControllers !== undefined && from) return { from, to: to ?? from };
  return { from: from ?? DEFAULT_ZOOKEEPER_FROM, to: to ?? DEFAULT_ZOOKEEPER_TO };
}
