/**
 * Per-host reads of a whole cluster, at most `limit` at a time: every host is read at once on a
 * small cluster (the reads are one round trip each, so the cluster costs one round trip, not one
 * per broker), and a 200-broker cluster does not open 200 SSH connections at the same moment.
 */

/** Hosts read at the same time, at most: below sshd's MaxStartups (10) on a jump host, and what a laptop's SSH agent answers without queueing. */
export const HOST_READS_AT_ONCE = 8;

/**
 * `work` for each item, at most `limit` running at a time, results (settled) in the items' order,
 * so the caller reports the first problem in that order whatever finished first.
 */
export async function settleEach<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
  limit = HOST_READS_AT_ONCE,
): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await work(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** settleEach, then the values in order; the first failure in the items' order is thrown. */
export async function eachOf<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>, limit?: number): Promise<R[]> {
  const settled = await settleEach(items, work, limit);
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}
