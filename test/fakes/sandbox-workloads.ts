/**
 * Runtimes for the fake Kubernetes and Marathon servers that drive the sandbox's REAL broker
 * processes: "starting a container" writes the server.properties the pod/app carries to the
 * broker's config path, points the broker's install link at the install its image stands
 * for, and launches the broker as the sandbox does; "stopping" sends SIGTERM (what the
 * kubelet and Mesos send) and SIGKILL after the grace period. A broker already running
 * when the fake first creates its pod/app is adopted, not restarted.
 */
import { connect } from 'node:net';
import { renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { parseProperties } from '../../src/config/properties.js';
import { propertiesFromEnv } from '../../src/hosts/env-properties.js';
import { startBroker } from '../../src/sandbox/brokers.js';
import { sandboxLayout } from '../../src/sandbox/layout.js';
import { isAlive, readPidFile, signal, sleep, waitGone } from '../../src/sandbox/processes.js';
import { readState } from '../../src/sandbox/state.js';
import type { ContainerRuntime } from './kubernetes/server.js';
import type { TaskRuntime } from './marathon/server.js';

export class SandboxBrokers {
  readonly starts: number[] = [];
  readonly stops: Array<{ id: number; graceSeconds: number; exitedBy: 'SIGTERM' | 'SIGKILL' }> = [];
  private readonly layout;
  private readonly java: string;
  private adopted = new Set<number>();

  /** `installOfImage`: image (or any release marker) → install directory. */
  constructor(
    dir: string,
    private readonly installOfImage: Record<string, string>,
  ) {
    this.layout = sandboxLayout(dir);
    const state = readState(this.layout.stateFile);
    if (!state) throw new Error(`no sandbox in ${dir}`);
    this.java = state.java;
  }

  pidOf(id: number): number | undefined {
    const pid = readPidFile(this.layout.broker(id).pidFile);
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }

  async run(id: number, image: string, config: string): Promise<void> {
    if (!this.adopted.has(id)) {
      this.adopted.add(id);
      if (this.pidOf(id) !== undefined) return; // the broker the sandbox started is this pod's/app's first container
    }
    const install = this.installOfImage[image];
    if (!install) throw new Error(`ErrImagePull: no install for image ${image}`);
    const paths = this.layout.broker(id);
    writeFileSync(paths.configPath, config);
    const tmp = `${paths.installLink}.tmp-${process.pid}`;
    symlinkSync(install, tmp);
    renameSync(tmp, paths.installLink);
    const pid = await startBroker(this.java, paths);
    this.starts.push(id);
    // Readiness: the broker's listener accepts connections (a tcpSocket probe).
    const port = Number(/:(\d+)$/.exec(parseProperties(config).listeners ?? '')?.[1]);
    const deadline = Date.now() + 90_000;
    while (!(await accepts(port))) {
      if (!isAlive(pid)) throw new Error(`CrashLoopBackOff: broker ${id} exited`);
      if (Date.now() > deadline) throw new Error(`broker ${id} not listening on ${port}`);
      await sleep(200);
    }
  }

  async terminate(id: number, graceSeconds: number): Promise<void> {
    this.adopted.add(id);
    const pid = this.pidOf(id);
    if (pid === undefined) return;
    signal(pid, 'SIGTERM');
    const left = await waitGone([pid], graceSeconds * 1000);
    if (left.length > 0) {
      signal(pid, 'SIGKILL');
      await waitGone([pid], 10_000);
    }
    this.stops.push({ id, graceSeconds, exitedBy: left.length > 0 ? 'SIGKILL' : 'SIGTERM' });
  }

  /** Pods: broker id = pod ordinal; server.properties = the key server-<id>.properties of the ConfigMap volume. */
  kubernetesRuntime(): ContainerRuntime {
    return {
      start: async (pod, configMaps) => {
        const id = Number(pod.metadata.labels['apps.kubernetes.io/pod-index']);
        const volume = pod.spec.volumes?.find((v) => v.configMap);
        const config = volume?.configMap ? configMaps(volume.configMap.name)?.data[`server-${id}.properties`] : undefined;
        if (config === undefined) throw new Error(`CreateContainerConfigError: no server-${id}.properties`);
        await this.run(id, pod.spec.containers[0]!.image, config);
      },
      stop: (pod, grace) => this.terminate(Number(pod.metadata.labels['apps.kubernetes.io/pod-index']), grace),
    };
  }

  /** Apps: broker id = KAFKA_BROKER_ID; server.properties from the KAFKA_ env, as the images of the common Kafka images write it. */
  marathonRuntime(): TaskRuntime {
    return {
      start: async (app) => {
        const env = app.env ?? {};
        await this.run(Number(env.KAFKA_BROKER_ID), app.container?.docker?.image ?? '', propertiesFromEnv('KAFKA_', env));
      },
      stop: (app, grace) => this.terminate(Number(app.env?.KAFKA_BROKER_ID), grace),
    };
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
