/**
 * Issue 14: an inventory of 77k brokers overflowed the stack in the preview: a phase's timeouts were
 * Math.max(...one argument per broker). The per-broker folds now reduce; this is the one that overflowed,
 * with 200,000 brokers (the whole plan of that many brokers takes minutes: see the report of issue 14).
 */
import { describe, expect, it } from 'vitest';
import type { BrokerSpec } from '../../src/inventory/model.js';
import { phaseTimeouts } from '../../src/plan/steps.js';
import { templateInventory } from '../helpers/plan-templates.js';

describe('a cluster of 200,000 brokers', () => {
  it("a phase's timeouts are the longest of any broker, without overflowing the stack", () => {
    const base = templateInventory('0.10.2.1', '0.11.0.3');
    const template = base.brokers[0] as BrokerSpec;
    const brokers = Array.from({ length: 200_000 }, (_, i) => ({
      ...template,
      id: i + 1,
      stop: { ...template.stop, timeoutSeconds: i === 77_000 ? 900 : 300 },
      startTimeoutSeconds: i === 199_999 ? 1200 : 600,
    }));
    expect(phaseTimeouts({ ...base, brokers })).toEqual({ stopSeconds: 900, startSeconds: 1200 });
  });
});
