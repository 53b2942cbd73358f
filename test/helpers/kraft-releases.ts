/** The two real Kafka distributions of the KRaft e2e tests, from the release cache (scripts/warm-releases.mjs fills it). */
import { resolveRelease } from '../../src/sandbox/releases/index.js';

export async function kraftReleaseHomes(from: string, to: string): Promise<{ from: string; to: string }> {
  const [a, b] = [await resolveRelease(from), await resolveRelease(to)];
  return { from: a.home, to: b.home };
}
