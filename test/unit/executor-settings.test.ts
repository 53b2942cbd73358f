/** The kubernetes and marathon executor settings of an inventory: defaults, paths, and located refusals. */
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { VALID_INVENTORY, itRefusesEachLocated, useScratchDir, type BadInputRow } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('kafka-ops-executor-settings-');

const KUBERNETES = `executor:
  kind: kubernetes
  kubeconfig: kube/config
  namespace: kafka
  statefulSet: kafka
  container: broker
  config:
    configMap: { name: kafka-config, key: "server-{id}.properties" }
  images:
    "0.10.2.1": registry.example/kafka:0.10.2.1
    "0.11.0.3": registry.example/kafka:0.11.0.3
`;

const MARATHON = `executor:
  kind: marathon
  url: https://dcos.example.com/service/marathon/
  appId: "/kafka/broker-{id}"
  token: { file: dcos-token }
  config: { env: { prefix: KAFKA_ } }
  releases:
    "0.10.2.1": { image: registry.example/kafka:0.10.2.1 }
    "0.11.0.3": { cmd: "./bin/kafka-server-start.sh server.properties", fetch: ["https://repo.example/kafka_2.11-0.11.0.3.tgz"] }
`;

const withExecutor = (executor: string) => VALID_INVENTORY.replace('executor:\n  kind: ssh\n', executor);

describe('kubernetes and marathon executor settings', () => {
  it('loads kubernetes settings: pod name defaults to <statefulSet>-{id}, kubeconfig relative to the inventory', () => {
    const file = scratch.write('k8s.yaml', withExecutor(KUBERNETES));
    const inventory = loadInventory(file);
    expect(inventory.executor).toEqual({
      kind: 'kubernetes',
      kubeconfig: `${scratch.dir}/kube/config`,
      namespace: 'kafka',
      statefulSet: 'kafka',
      container: 'broker',
      pod: 'kafka-{id}',
      config: { configMap: { name: 'kafka-config', key: 'server-{id}.properties' } },
      images: { '0.10.2.1': 'registry.example/kafka:0.10.2.1', '0.11.0.3': 'registry.example/kafka:0.11.0.3' },
    });
  });

  it('loads marathon settings: URL without trailing slash, token file relative to the inventory', () => {
    const inventory = loadInventory(scratch.write('marathon.yaml', withExecutor(MARATHON)));
    expect(inventory.executor).toMatchObject({
      kind: 'marathon',
      url: 'https://dcos.example.com/service/marathon',
      appId: '/kafka/broker-{id}',
      token: { file: `${scratch.dir}/dcos-token` },
    });
  });

  const BAD: BadInputRow[] = [
    [
      'kubernetes without images',
      withExecutor(KUBERNETES.replace(/ {2}images:\n.*\n.*\n/, '')),
      'kind: kubernetes',
      'SCHEMA',
      ['`executor`', '`images`'],
    ],
    [
      'kubernetes with an upper-case namespace',
      withExecutor(KUBERNETES.replace('namespace: kafka', 'namespace: Kafka')),
      'Kafka',
      'SCHEMA',
      ['`executor.namespace`', 'Kubernetes object name'],
    ],
    [
      'kubernetes with both a ConfigMap and env as config',
      withExecutor(KUBERNETES.replace('    configMap:', '    env: { prefix: KAFKA_ }\n    configMap:')),
      '{ prefix: KAFKA_ }',
      'SCHEMA',
      ['`executor.config`'],
    ],
    [
      'kubernetes with an ssh-only key',
      withExecutor(KUBERNETES.replace('  kind: kubernetes\n', '  kind: kubernetes\n  knownHosts: ~/.ssh/known_hosts\n')),
      '~/.ssh/known_hosts',
      'SCHEMA',
      ['unknown key', '`knownHosts`'],
    ],
    [
      'a marathon appId without {id}',
      withExecutor(MARATHON.replace('"/kafka/broker-{id}"', '/kafka/broker')),
      '/kafka/broker\n',
      'SCHEMA',
      ['`executor.appId`', '{id}'],
    ],
    [
      'a marathon token given inline',
      withExecutor(MARATHON.replace('{ file: dcos-token }', '{ value: abc }')),
      '{ value: abc }',
      'SCHEMA',
      ['`executor.token`'],
    ],
    [
      'a marathon release with no app field',
      withExecutor(MARATHON.replace('{ image: registry.example/kafka:0.10.2.1 }', '{}')),
      '{}',
      'SCHEMA',
      ['`executor.releases.0.10.2.1`'],
    ],
  ];
  itRefusesEachLocated(BAD, scratch.write, loadInventory);
});
