/** Flags shared by several commands; each main flag has an environment variable. */
import { Flags } from '@oclif/core';

export const inventoryFlag = Flags.string({
  char: 'i',
  description: 'Inventory file describing the cluster.',
  env: 'KAFKA_OPS_INVENTORY',
});

export const toFlag = Flags.string({
  description: 'Target Kafka release, e.g. 0.11 or 2.8.',
  env: 'KAFKA_OPS_TO',
});

export const fromFlag = Flags.string({
  description: 'Release the cluster runs now (read from the hosts when omitted).',
  env: 'KAFKA_OPS_FROM',
});

export const canaryFlag = Flags.boolean({
  description: 'Pause for confirmation after the first broker of every roll phase (the binary swap always pauses).',
  env: 'KAFKA_OPS_CANARY',
  default: false,
});
