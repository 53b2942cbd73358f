/**
 * An independent witness of a roll: polls every partition's state znode in ZooKeeper (where a
 * ZooKeeper-mode controller and leaders write leader and ISR) every `everyMs`, over its own plain
 * node-zookeeper-client connection (never kafka-ops' reader), and records the smallest ISR and any
 * partition without a leader it ever saw.
 */
import * as zkLayout from './zk-kafka-layout.mjs';

export interface SamplerReport {
  samples: number;
  /** Longest time between the starts of two samples (a loaded machine stretches the period). */
  maxGapMs: number;
  /** The smallest ISR seen in any sample, over every partition. */
  smallestIsr: number;
  /** Samples in which some partition had an ISR below `minIsr` or no leader (first 20). */
  violations: string[];
  partitions: number;
}

export interface IsrSampler {
  stop(): Promise<SamplerReport>;
}

interface ZkReader {
  raw: { getChildren(path: string, cb: (error: Error | null, children: string[]) => void): void };
  getData(path: string): Promise<string>;
  close(): void;
}

const children = (zk: ZkReader, path: string) =>
  new Promise<string[]>((resolve, reject) => zk.raw.getChildren(path, (error, names) => (error ? reject(error) : resolve(names))));

/** Starts sampling the partitions of `topics` (each must exist already). */
export async function startIsrSampler(connect: string, topics: readonly string[], minIsr: number, everyMs = 100): Promise<IsrSampler> {
  const zk = (await zkLayout.connectWriter(connect)) as ZkReader;
  const paths: string[] = [];
  for (const topic of topics) {
    for (const p of await children(zk, `/brokers/topics/${topic}/partitions`)) paths.push(`/brokers/topics/${topic}/partitions/${p}/state`);
  }
  const report: SamplerReport = {
    samples: 0,
    maxGapMs: 0,
    smallestIsr: Number.POSITIVE_INFINITY,
    violations: [],
    partitions: paths.length,
  };
  let stopped = false;
  let lastStart: number | undefined;
  const loop = (async () => {
    while (!stopped) {
      const start = Date.now();
      if (lastStart !== undefined) report.maxGapMs = Math.max(report.maxGapMs, start - lastStart);
      lastStart = start;
      const states = await Promise.all(
        paths.map(async (path) => ({ path, state: JSON.parse(await zk.getData(path)) as { leader: number; isr: number[] } })),
      );
      report.samples++;
      const bad: string[] = [];
      for (const { path, state } of states) {
        report.smallestIsr = Math.min(report.smallestIsr, state.isr.length);
        const name = path.replace(/^\/brokers\/topics\/([^/]+)\/partitions\/(\d+)\/state$/, '$1-$2');
        if (state.leader < 0) bad.push(`${name} offline`);
        else if (state.isr.length < minIsr) bad.push(`${name} ISR ${state.isr.join(',')}`);
      }
      if (bad.length > 0 && report.violations.length < 20) report.violations.push(`${new Date(start).toISOString()}: ${bad.join('; ')}`);
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - start))));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      zk.close();
      return report;
    },
  };
}
