/**
 * The broker config keys of each release, read once for all the hosts of a run: every install
 * of a release knows the same keys, and each read starts a JVM on a broker host. The first
 * host to ask reads; the others wait for its answer, and only when it could not tell (no java
 * there, say) does the next one read, and so on.
 */
export class ReleaseConfigKeys {
  private readonly byRelease = new Map<string, Promise<ReadonlySet<string> | undefined>>();

  get(release: string, read: () => Promise<ReadonlySet<string> | undefined>): Promise<ReadonlySet<string> | undefined> {
    const known = this.byRelease.get(release);
    const answer = known ? known.then((keys) => keys ?? read()) : read();
    this.byRelease.set(release, answer);
    return answer;
  }
}
