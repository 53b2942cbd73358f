/** settleEach / eachOf: per-host reads at once, capped, answered and failed in the items' order. */
import { describe, expect, it } from 'vitest';
import { eachOf, HOST_READS_AT_ONCE, settleEach } from '../../src/engine/concurrently.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tracked() {
  let inFlight = 0;
  const seen = { max: 0 };
  const work = async (ms: number) => {
    inFlight++;
    seen.max = Math.max(seen.max, inFlight);
    await tick(ms);
    inFlight--;
    return ms;
  };
  return { seen, work };
}

describe('settleEach', () => {
  it('never runs more than the cap at once, and runs that many when there is work for them', async () => {
    const { seen, work } = tracked();
    const items = Array.from({ length: 20 }, (_, i) => (i * 7) % 5);
    const results = await settleEach(items, work, 3);
    expect(seen.max).toBe(3);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : undefined))).toEqual(items);
  });

  it('caps at HOST_READS_AT_ONCE by default and reads a small cluster all at once', async () => {
    const big = tracked();
    await settleEach(
      Array.from({ length: 40 }, () => 2),
      big.work,
    );
    expect(big.seen.max).toBe(HOST_READS_AT_ONCE);
    const small = tracked();
    await settleEach([5, 5, 5], small.work);
    expect(small.seen.max).toBe(3);
  });

  it('keeps going after a failure; eachOf throws the first failure in the items order, not in time order', async () => {
    const work = async (ms: number) => {
      await tick(ms);
      throw new Error(`failed after ${ms}`);
    };
    const settled = await settleEach([30, 1, 5], work, 3);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(eachOf([30, 1], work)).rejects.toThrow('failed after 30');
    await expect(eachOf([], work)).resolves.toEqual([]);
  });

  it('refuses a cap that would run nothing', async () => {
    await expect(settleEach([1], async (x) => x, 0)).rejects.toThrow(RangeError);
  });
});
