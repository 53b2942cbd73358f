/**
 * `BrokerHost` for a broker on a POSIX (Linux) host, driven through a `CommandRunner`:
 * the same code works locally (sandbox) and over SSH. Every command is a fixed script
 * from this file with the inventory's values passed as quoted positional parameters
 * (`shScript`), so no path or unit name is ever parsed by the remote shell.
 *
 * Scripts that report several facts print `key NUL value NUL` records, so values may
 * contain newlines or any other byte but NUL.
 */
import { configKeysFromDocs } from '../../config/lint.js';
import { HaltError, InfrastructureError, UserError } from '../../errors.js';
import type { BrokerSpec, StopSignal } from '../../inventory/model.js';
import { ignoredSignals, launchCommandLine } from './launch.js';
import type { BrokerHost, DiskUsage, HookResult, HostFacts, InstallFacts, ProcessFacts, ShutdownOutcome, StopResult } from '../port.js';
import { ReleaseConfigKeys } from './release-config-keys.js';
import type { CommandRunner, RunOptions } from './runner.js';
import { commandLine, shScript } from './shell.js';

/** Bound on any single host command, so a hung host cannot hang the run. */
const COMMAND_TIMEOUT_MS = 60_000;
const POLL_MS = 200;
/** How much of a failed hook's output the error shows. */
const HOOK_OUTPUT_CHARS = 800;
/** SigIgn bit of each stop signal (bit n-1 for signal n). */
const SIGNAL_BIT = { SIGINT: 1 << 1, SIGTERM: 1 << 14 } as const;
/** Only the end of a huge shutdown log is examined. */
const MAX_LOG_BYTES = 1024 * 1024;
/** A process that started this much after its pid file was written is not the one the file names. */
const PID_FILE_SLACK_SECONDS = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * When the host booted (epoch seconds) and how far after that the truth may lie. /proc/stat's
 * btime is whole seconds, which alone put a process's start up to 1 s too early: a broker
 * started within a second of its config being written looked older than that config and was
 * restarted again on resume. "now − uptime" (date's %N, /proc/uptime in hundredths) is good to
 * ~10 ms either way; btime stays the fallback for a `date` without %N.
 */
function bootEpoch(values: Map<string, string>): { seconds: number; slackSeconds: number } {
  const [now, uptime] = (values.get('clock') ?? '').split(' ').map(Number);
  if (now !== undefined && uptime !== undefined && Number.isFinite(now) && Number.isFinite(uptime) && now > uptime)
    return { seconds: now - uptime, slackSeconds: 0.02 };
  return { seconds: Number(values.get('btime')), slackSeconds: 1 };
}

/**
 * `$1` install dir: prints Kafka's broker config documentation from that install's own classes.
 * A one-shot JVM that only prints: the client compiler alone, the serial collector and no perf
 * data file start it in about a third of the default's time (3.9.2 on 2 busy cores: 4.2 s →
 * 1.3 s), and the run's first restart waits for it. Every flag is one Java 7 already accepts.
 */
const CONFIG_DOCS_SCRIPT = `
java=java
if [ -n "\${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java=$JAVA_HOME/bin/java; fi
exec "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -cp "$1/libs/*" kafka.server.KafkaConfig 2>/dev/null
`;

/** `$1` kind, `$2` pid file or unit, `$3` install link, then the install directories. */
const FACTS_SCRIPT = `
kind=$1; ref=$2; link=$3; cfg=$4; shift 4
rec() { printf '%s\\0%s\\0' "$1" "$2"; }
mtime() { stat -c %.9Y -- "$1" 2>/dev/null || stat -c %Y -- "$1" 2>/dev/null; }
if [ -n "$cfg" ] && [ -e "$cfg" ]; then rec config_mtime "$(mtime "$cfg")"; fi
if [ -n "$link" ] && [ -L "$link" ]; then rec link_mtime "$(mtime "$link")"; fi
pid=
if [ "$kind" = systemd ]; then
  pid=$(systemctl show -p MainPID -- "$ref" 2>/dev/null | sed -n 's/^MainPID=//p')
elif [ -f "$ref" ]; then
  pid=$(head -n 1 "$ref")
  rec pidfile_mtime "$(stat -c %Y "$ref")"
fi
rec pid "$pid"
case $pid in ''|0|*[!0-9]*) ;; *)
  if [ -r "/proc/$pid/status" ]; then
    rec state "$(sed -n 's/^State:[[:space:]]*//p' "/proc/$pid/status")"
    rec sigign "$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$pid/status")"
    rec stat "$(cat "/proc/$pid/stat")"
    rec cmdline "$(tr '\\000' '\\n' <"/proc/$pid/cmdline")"
    rec btime "$(sed -n 's/^btime //p' /proc/stat)"
    rec clock "$(date +%s.%N) $(cut -d ' ' -f 1 /proc/uptime)"
    rec hz "$(getconf CLK_TCK)"
  fi;;
esac
if [ -n "$link" ] && { [ -L "$link" ] || [ -e "$link" ]; }; then
  printf 'link\\0'; readlink -f -- "$link"; printf '\\0'
fi
for d in "$@"; do
  if [ -d "$d" ]; then
    rec install 1
    rec install_real "$(readlink -f -- "$d")"
    for j in "$d"/libs/kafka_*.jar; do
      if [ -e "$j" ]; then rec jar "\${j##*/}"; fi
    done
  else
    rec install 0
  fi
done
exit 0
`;

/** `$1` pid, `$2` systemd unit or empty: prints "running" while the broker runs. */
const RUNNING_SCRIPT = `
if [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; then echo running; exit 0; fi
if [ -n "$2" ]; then
  case $(systemctl is-active -- "$2" 2>/dev/null) in active|activating|deactivating|reloading) echo running;; esac
fi
exit 0
`;

/** `$1` log file, then the command that sends the signal: prints the log size before sending. */
const SIGNAL_SCRIPT = `
log=$1; shift
size=$( (wc -c <"$log") 2>/dev/null ) || size=0
echo "\${size:-0}"
"$@"
`;

/**
 * One round trip for a whole graceful stop: re-check the process (still alive, not
 * ignoring the signal), remember the log size, send the signal, wait on the host until the
 * process is gone (or `$4` ms pass), print "EXITED ELAPSED_MS", then the log written since.
 * Timing on the host keeps SSH latency out of the broker's own stop time.
 * `$1` log, `$2` pid, `$3` systemd unit or empty, `$4` limit ms, `$5` SigIgn bit, then the signal command.
 */
const STOP_SCRIPT = `
log=$1; pid=$2; unit=$3; limit=$4; sigbit=$5; shift 5
if [ -r "/proc/$pid/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"; then
  mask=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$pid/status")
  if [ $(( 0x$mask & sigbit )) -ne 0 ]; then echo "ignored $mask"; exit 0; fi
  if grep -q '^State:[[:space:]]*[tT]' "/proc/$pid/status"; then echo "suspended"; exit 0; fi
fi
size=$( (wc -c <"$log") 2>/dev/null ) || size=0; size=\${size:-0}
now() { date +%s%3N; }
alive() {
  if [ -r "/proc/$pid/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"; then return 0; fi
  if [ -n "$unit" ]; then case $(systemctl is-active -- "$unit" 2>/dev/null) in active|activating|deactivating|reloading) return 0;; esac; fi
  return 1
}
t0=$(now)
"$@" || exit 3
exited=0
while :; do
  if ! alive; then exited=1; break; fi
  [ $(( $(now) - t0 )) -ge "$limit" ] && break
  sleep 0.1
done
echo "$exited $(( $(now) - t0 ))"
[ -f "$log" ] || exit 0
cur=$(wc -c <"$log"); [ "$cur" -lt "$size" ] && size=0
tail -c +"$((size + 1))" "$log" | tail -c ${MAX_LOG_BYTES}
`;

/** `$1` config file, `$2` backup path; the new content comes on stdin. */
const WRITE_CONFIG_SCRIPT = `
set -e
f=$1; bak=$2
[ -f "$f" ] || { echo "no such file: $f" >&2; exit 1; }
# A symlinked config (alternatives, config management) is replaced at its real path.
if [ -L "$f" ]; then f=$(readlink -f -- "$f"); fi
case $f in */*) dir=\${f%/*};; *) dir=.;; esac
tmp=$(mktemp "\${dir:-/}/.kafka-ops.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cp -p "$f" "$bak"
# Copying first gives the temp file the original's mode and owner; then the content is replaced.
cp -p "$f" "$tmp"
cat >"$tmp"
mv -f "$tmp" "$f"
trap - EXIT
`;

/** `$1` install directory, `$2` symlink. */
const ACTIVATE_SCRIPT = `
target=$1; link=$2
[ -d "$target" ] || { echo "install directory does not exist: $target" >&2; exit 1; }
ln -sfn "$target" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
`;

/** Each argument is a directory: prints `dir NUL "total available" NUL` (1024-byte blocks) for those df can read. */
const DISK_SCRIPT = `
set -f
for d in "$@"; do
  line=$(df -Pk -- "$d" 2>/dev/null | tail -n 1) || continue
  [ -n "$line" ] || continue
  set -- $line
  printf '%s\\0%s %s\\0' "$d" "$2" "$4"
done
exit 0
`;

interface ProbedProcess extends ProcessFacts {
  sigIgnMask: string;
  /** argv of the process now (it changes on exec). */
  cmdline: string[];
}

/** Release of a Kafka install from the names of its libs/kafka_*.jar files (e.g. kafka_2.11-0.9.0.1.jar → 0.9.0.1). */
export function releaseFromJars(names: readonly string[]): string | undefined {
  const releases = new Set<string>();
  for (const name of names) {
    if (/-(sources|javadoc|test|test-sources|scaladoc|site-docs)\.jar$/.test(name)) continue;
    const match = /^kafka_\d+(?:\.\d+)+-(\d+(?:\.\d+)+(?:-[A-Za-z0-9]+)?)\.jar$/.exec(name);
    if (match?.[1]) releases.add(match[1]);
  }
  // Two different broker jars in one install is not an install we can vouch for.
  return releases.size === 1 ? [...releases][0] : undefined;
}

// ZooKeeper mode up to 2.8 ("succeeded") and from 3.0 ("request returned successfully after N ms", as a
// real 3.9.2 broker writes it), and a KRaft broker (3.x/4.x) whose controlled shutdown the controller granted.
const CONTROLLED =
  /Controlled shutdown succeeded|Controlled shutdown request returned successfully|The controller has asked us to exit controlled shutdown/;
// A 3.x ZooKeeper-mode attempt the controller could not finish says "returned after N ms with M partitions remaining to move".
const UNCLEAN =
  /Proceeding to do an unclean shutdown|Retrying controlled shutdown|Controlled shutdown failed|partitions remaining to move/i;
/** A KRaft broker asking the controller for a controlled shutdown: without the grant after it, the shutdown was not controlled. */
const KRAFT_BROKER_BEGINS = /\[BrokerLifecycleManager id=\d+\] Beginning controlled shutdown/;
/** A KRaft node leaving the quorum cleanly: for a controller (no controlled-shutdown request) this is its clean stop. */
const KRAFT_RAFT_GRACEFUL = /\[RaftManager id=\d+\] Graceful shutdown completed/;

/** What the broker's log lines written during a stop say about the shutdown. */
export function classifyShutdown(log: string): { shutdown: ShutdownOutcome; evidence: string[] } {
  const lines = log.split('\n');
  const marks = (l: string) => CONTROLLED.test(l) || UNCLEAN.test(l) || KRAFT_BROKER_BEGINS.test(l) || KRAFT_RAFT_GRACEFUL.test(l);
  const evidence = lines.filter(marks).slice(-20);
  const brokerAsked = evidence.some((l) => KRAFT_BROKER_BEGINS.test(l));
  const controlled =
    evidence.some((l) => CONTROLLED.test(l)) ||
    (!brokerAsked && evidence.some((l) => KRAFT_RAFT_GRACEFUL.test(l)) && !evidence.some((l) => UNCLEAN.test(l)));
  const shutdown = controlled ? 'controlled' : evidence.length > 0 ? 'unclean' : 'unknown';
  return { shutdown, evidence };
}

function records(output: string): Array<[string, string]> {
  const fields = output.split('\0');
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push([fields[i] ?? '', fields[i + 1] ?? '']);
  return out;
}

/** The launcher's own stages (forked shell, nohup, the signal reset) still carry the inherited SigIgn. */
/**
 * How long nohup/env may take to exec the JVM: milliseconds on an idle host, but on a loaded
 * 2-core machine each probe over SSH alone takes seconds, and halting a roll (the broker is down)
 * for a slow exec is worse than waiting.
 */
const LAUNCH_TIMEOUT_MS = 30_000;

function stillLaunching(cmdline: readonly string[]): boolean {
  return (
    cmdline.some((a) => a.startsWith('pidfile=$1') || a === '--default-signal=INT' || a.startsWith('$SIG{INT}')) || cmdline[0] === 'nohup'
  );
}

export class ShellBrokerHost implements BrokerHost {
  readonly brokerId: number;

  /** `releaseKeys`: shared by the hosts of one run (see ReleaseConfigKeys); this host's own by default. */
  constructor(
    private readonly runner: CommandRunner,
    private readonly spec: BrokerSpec,
    private readonly releaseKeys = new ReleaseConfigKeys(),
  ) {
    this.brokerId = spec.id;
  }

  private get where(): string {
    return `broker ${this.spec.id} on ${this.spec.host}`;
  }

  /**
   * The short commands of this host run one after the other. Over SSH a command runs in the
   * connection's one shell session when it is idle and on an exec channel of its own otherwise,
   * which starts a login shell (300+ ms on a loaded host, against 40 ms for facts + config in the
   * session): facts() and readConfig() asked together would pay that every time. A stop (minutes,
   * maybe) does not take a turn, so nothing short waits behind it.
   */
  private turn: Promise<unknown> = Promise.resolve();

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const mine = this.turn.then(work, work);
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /** Runs a fixed script with positional args; a non-zero exit is an InfrastructureError. `long`: it does not wait its turn. */
  private async sh(what: string, script: string, args: readonly string[], options: RunOptions = {}, long = false): Promise<string> {
    const run = () => this.runner.run(shScript(script, args), { timeoutMs: COMMAND_TIMEOUT_MS, ...options });
    const result = await (long ? run() : this.inTurn(run));
    if (result.code !== 0) {
      throw new InfrastructureError(
        `${what} failed for ${this.where} (exit ${result.code}): ${result.stderr.trim() || '(no error output)'}`,
        {
          code: 'HOST_COMMAND_FAILED',
          action: `Fix the cause on ${this.spec.host} (paths and permissions in the inventory), then retry.`,
          retriable: false,
        },
      );
    }
    return result.stdout;
  }

  private async probe(
    installDirs: readonly string[] = [],
    link = '',
    config = '',
  ): Promise<{
    process?: ProbedProcess;
    linkTarget?: string;
    installs: InstallFacts[];
    configModifiedAtMs?: number;
    linkModifiedAtMs?: number;
  }> {
    const run = this.spec.run;
    const ref = run.kind === 'systemd' ? run.unit : run.pidFile;
    const output = await this.sh('Reading the host facts', FACTS_SCRIPT, [run.kind, ref, link, config, ...installDirs]);
    const values = new Map<string, string>();
    const installs: InstallFacts[] = [];
    let jars: string[] = [];
    const finishInstall = () => {
      const last = installs[installs.length - 1];
      if (last?.present) {
        const release = releaseFromJars(jars);
        if (release) last.release = release;
      }
      jars = [];
    };
    for (const [key, value] of records(output)) {
      if (key === 'install') {
        finishInstall();
        installs.push({ present: value === '1' });
      } else if (key === 'install_real') {
        const last = installs[installs.length - 1];
        if (last) last.realPath = value;
      } else if (key === 'jar') {
        jars.push(value);
      } else {
        values.set(key, value);
      }
    }
    finishInstall();
    const linkValue = values.get('link');
    const process = this.processFrom(values);
    const seconds = (key: string) => {
      const v = Number(values.get(key));
      return values.has(key) && Number.isFinite(v) ? Math.round(v * 1000) : undefined;
    };
    const configModifiedAtMs = seconds('config_mtime');
    const linkModifiedAtMs = seconds('link_mtime');
    return {
      ...(process ? { process } : {}),
      ...(linkValue === undefined ? {} : { linkTarget: linkValue.replace(/\n$/, '') }),
      installs,
      ...(configModifiedAtMs === undefined ? {} : { configModifiedAtMs }),
      ...(linkModifiedAtMs === undefined ? {} : { linkModifiedAtMs }),
    };
  }

  private processFrom(values: Map<string, string>): ProbedProcess | undefined {
    const pid = Number(values.get('pid'));
    const state = values.get('state');
    if (!Number.isInteger(pid) || pid <= 0 || state === undefined || state.startsWith('Z')) return undefined;
    // A pid file outlives its process; if the pid was reused, the process now holding it
    // started after the file was written and must not be signalled (least of all SIGKILLed).
    const mtime = Number(values.get('pidfile_mtime'));
    const stat = values.get('stat') ?? '';
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = bootEpoch(values);
    // Rounded up (ProcessFacts.startedAtMs): the latest moment the process can have started.
    const started = boot.seconds + boot.slackSeconds + startTicks / Number(values.get('hz'));
    if (values.has('pidfile_mtime') && Number.isFinite(started) && started > mtime + PID_FILE_SLACK_SECONDS) return undefined;
    const sigIgnMask = values.get('sigign') ?? '0';
    return {
      pid,
      ignoredSignals: ignoredSignals(sigIgnMask),
      sigIgnMask,
      cmdline: (values.get('cmdline') ?? '').split('\n'),
      ...(Number.isFinite(started) ? { startedAtMs: Math.round(started * 1000) } : {}),
    };
  }

  async facts(): Promise<HostFacts> {
    const releases = Object.keys(this.spec.installs);
    const probed = await this.probe(
      releases.map((r) => this.spec.installs[r] ?? ''),
      this.spec.installLink,
      this.spec.configPath,
    );
    const installs: Record<string, InstallFacts> = {};
    releases.forEach((release, i) => (installs[release] = probed.installs[i] ?? { present: false }));
    return {
      ...(probed.process
        ? {
            process: {
              pid: probed.process.pid,
              ignoredSignals: probed.process.ignoredSignals,
              ...(probed.process.startedAtMs === undefined ? {} : { startedAtMs: probed.process.startedAtMs }),
            },
          }
        : {}),
      ...(probed.linkTarget === undefined ? {} : { linkTarget: probed.linkTarget }),
      installs,
      ...(probed.configModifiedAtMs === undefined ? {} : { configModifiedAtMs: probed.configModifiedAtMs }),
      ...(probed.linkModifiedAtMs === undefined ? {} : { linkModifiedAtMs: probed.linkModifiedAtMs }),
    };
  }

  /**
   * The file as Java reads it, ISO-8859-1: one char per byte, so bytes that are not UTF-8 (a latin-1
   * comment) come back byte for byte when written. Sent base64-encoded, so no transport decodes it.
   */
  async readConfig(): Promise<string> {
    const encoded = await this.sh('Reading the broker config', 'base64 <"$1"', [this.spec.configPath]);
    return Buffer.from(encoded, 'base64').toString('latin1');
  }

  async writeConfig(content: string, backupSuffix: string): Promise<string> {
    if (backupSuffix.includes('/')) throw new TypeError(`backup suffix must not contain '/': ${backupSuffix}`);
    const backup = `${this.spec.configPath}.${backupSuffix}.bak`;
    await this.sh('Writing the broker config', WRITE_CONFIG_SCRIPT, [this.spec.configPath, backup], {
      stdin: Buffer.from(content, 'latin1'),
    });
    return backup;
  }

  async activateRelease(release: string): Promise<void> {
    const target = this.spec.installs[release];
    if (target === undefined) {
      throw new UserError(`Release ${release} has no install directory for broker ${this.spec.id} in the inventory.`, {
        code: 'RELEASE_NOT_IN_INVENTORY',
        action: `Add installs."${release}" (the directory where Kafka ${release} is unpacked on ${this.spec.host}) to the inventory.`,
      });
    }
    await this.sh(`Pointing ${this.spec.installLink} at ${target}`, ACTIVATE_SCRIPT, [target, this.spec.installLink]);
  }

  private signalIgnored(process: ProbedProcess, signal: StopSignal): HaltError {
    return new HaltError(
      `broker ${this.spec.id} (pid ${process.pid} on host ${this.spec.host}) ignores ${signal} (SigIgn mask ${process.sigIgnMask}): ` +
        `it was started from a non-interactive shell that ignored ${signal}, so the JVM will never run its shutdown hook on ${signal}.`,
      {
        code: 'SIGNAL_IGNORED',
        brokerId: this.spec.id,
        action:
          signal === 'SIGINT'
            ? 'Restart it once with kafka-ops or under systemd (both start it with SIGINT at its default), or use --stop-signal SIGTERM.'
            : 'Restart it once with kafka-ops or under systemd, or use --stop-signal SIGINT.',
      },
    );
  }

  private async running(pid: number): Promise<boolean> {
    const unit = this.spec.run.kind === 'systemd' ? this.spec.run.unit : '';
    return (await this.sh('Checking the broker process', RUNNING_SCRIPT, [String(pid), unit])).trim() === 'running';
  }

  /** Polls until the process is gone; false at the deadline. */
  private async waitGone(pid: number, deadline: number): Promise<boolean> {
    for (;;) {
      if (!(await this.running(pid))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.max(0, Math.min(POLL_MS, deadline - Date.now())));
    }
  }

  private signalCommand(pid: number, signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): string[] {
    const run = this.spec.run;
    return run.kind === 'systemd' ? ['systemctl', 'kill', '-s', signal, '--', run.unit] : ['kill', '-s', signal.slice(3), String(pid)];
  }

  async stop(signal: StopSignal, timeoutMs: number, knownPid?: number): Promise<StopResult> {
    const started = Date.now();
    // A pid the caller just read from facts() saves a round trip; STOP_SCRIPT re-checks it.
    const process: ProbedProcess | undefined =
      knownPid === undefined ? (await this.probe()).process : { pid: knownPid, ignoredSignals: [], sigIgnMask: '0', cmdline: [] };
    if (!process) return { exited: true, shutdown: 'unknown', evidence: [], elapsedMs: Date.now() - started };
    if (process.ignoredSignals.includes(signal)) throw this.signalIgnored(process, signal);
    const unit = this.spec.run.kind === 'systemd' ? this.spec.run.unit : '';
    const output = await this.sh(
      `Stopping with ${signal}`,
      STOP_SCRIPT,
      [
        this.spec.logFile,
        String(process.pid),
        unit,
        String(timeoutMs),
        String(SIGNAL_BIT[signal]),
        ...this.signalCommand(process.pid, signal),
      ],
      { timeoutMs: timeoutMs + COMMAND_TIMEOUT_MS },
      true,
    );
    if (output.trim() === 'suspended') {
      // SIGSTOPped (or held by a debugger): the signal would only be queued, and the stop wait its whole timeout.
      throw new HaltError(
        `broker ${this.spec.id} (pid ${process.pid} on host ${this.spec.host}) is suspended (State T: SIGSTOP or a debugger): it cannot act on ${signal} until it is continued. It was not signalled.`,
        {
          code: 'PROCESS_SUSPENDED',
          brokerId: this.spec.id,
          action: `Find out who suspended it; continue it (\`kill -CONT ${process.pid}\` on ${this.spec.host}) and let it catch up, then \`kafka-ops resume\`.`,
        },
      );
    }
    if (output.startsWith('ignored ')) {
      const sigIgnMask = output.slice('ignored '.length).trim();
      throw this.signalIgnored({ ...process, sigIgnMask, ignoredSignals: ignoredSignals(sigIgnMask) }, signal);
    }
    const newline = output.indexOf('\n');
    const [exitedFlag, exitMs] = output
      .slice(0, newline < 0 ? undefined : newline)
      .trim()
      .split(' ');
    return {
      exited: exitedFlag === '1',
      ...classifyShutdown(newline < 0 ? '' : output.slice(newline + 1)),
      elapsedMs: Date.now() - started,
      ...(Number.isFinite(Number(exitMs)) ? { exitMs: Number(exitMs) } : {}),
    };
  }

  async kill(): Promise<void> {
    const { process } = await this.probe();
    if (!process) return;
    await this.sh('Sending SIGKILL', SIGNAL_SCRIPT, ['/dev/null', ...this.signalCommand(process.pid, 'SIGKILL')]);
    if (!(await this.waitGone(process.pid, Date.now() + 10_000))) {
      throw new InfrastructureError(`${this.where}: pid ${process.pid} is still there 10 s after SIGKILL.`, {
        code: 'KILL_FAILED',
        action: `Look at the process on ${this.spec.host} (ps -o pid,stat,cmd -p ${process.pid}); it may be stuck in the kernel (state D).`,
        retriable: true,
      });
    }
  }

  /**
   * An inventory hook: `env NAME=VALUE… ARGV…`, each element quoted, run on its own (not in the
   * short commands' turn: it may take minutes). Its stdin is empty; the end of its output is kept
   * for the operator.
   */
  async runHook(argv: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<HookResult> {
    const names = Object.keys(env);
    const bad = names.find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    if (bad !== undefined) throw new TypeError(`invalid environment variable name: ${bad}`);
    const line = commandLine(['env', ...names.map((k) => `${k}=${env[k]}`), ...argv]);
    const started = Date.now();
    try {
      const result = await this.runner.run(line, { timeoutMs });
      const output = (result.stderr.trim() || result.stdout.trim()).slice(-HOOK_OUTPUT_CHARS);
      return { code: result.code, output, elapsedMs: Date.now() - started };
    } catch (error) {
      if (error instanceof InfrastructureError && error.code === 'COMMAND_TIMEOUT') return { output: '', elapsedMs: Date.now() - started };
      throw error;
    }
  }

  async start(): Promise<void> {
    const run = this.spec.run;
    const before = (await this.probe()).process;
    if (before) {
      // Already running (e.g. on resume): starting again would fight over the log dirs' lock.
      if (before.ignoredSignals.includes('SIGINT')) throw this.signalIgnored(before, 'SIGINT');
      return;
    }
    if (run.kind === 'systemd') {
      await this.sh(`Starting unit ${run.unit}`, 'systemctl start -- "$1"', [run.unit]);
    } else {
      const result = await this.runner.run(
        launchCommandLine({ command: run.command, pidFile: run.pidFile, outputFile: run.outputFile, env: run.env }),
        { timeoutMs: COMMAND_TIMEOUT_MS },
      );
      if (result.code !== 0) {
        throw new HaltError(`Could not start ${this.where}: ${result.stderr.trim() || `exit ${result.code}`}`, {
          code: 'BROKER_START_FAILED',
          brokerId: this.spec.id,
          action: `Fix the cause on ${this.spec.host} and run kafka-ops again.`,
        });
      }
    }
    const started = await this.launched(Date.now() + LAUNCH_TIMEOUT_MS);
    if (started.ignoredSignals.includes('SIGINT')) throw this.signalIgnored(started, 'SIGINT');
  }

  /** The new process once it is past the launcher's stages, whose SigIgn is not yet the broker's. */
  private async launched(deadline: number): Promise<ProbedProcess> {
    for (;;) {
      const { process } = await this.probe();
      if (process && !stillLaunching(process.cmdline)) {
        // One probe reads SigIgn and the cmdline apart: a launcher's mask can come with the broker's cmdline if the
        // exec falls between them. Once the broker's cmdline is seen the exec is done, so a second probe is all broker.
        const settled = (await this.probe()).process;
        if (settled && settled.pid === process.pid && !stillLaunching(settled.cmdline)) return settled;
        continue;
      }
      if (!process || Date.now() >= deadline) {
        const output = this.spec.run.kind === 'command' ? this.spec.run.outputFile : `journalctl -u ${this.spec.run.unit}`;
        throw new HaltError(
          process
            ? `${this.where} is still being launched (pid ${process.pid}) after ${LAUNCH_TIMEOUT_MS / 1000} s.`
            : `${this.where} exited right after it was started.`,
          { code: 'BROKER_START_FAILED', brokerId: this.spec.id, action: `Look at ${output} on ${this.spec.host}.` },
        );
      }
      await sleep(100);
    }
  }

  async diskUsage(dirs: readonly string[]): Promise<DiskUsage[]> {
    if (dirs.length === 0) return [];
    const output = await this.sh('Reading the free space of the log dirs', DISK_SCRIPT, dirs);
    return records(output).flatMap(([path, value]) => {
      const [total, available] = value.split(' ').map(Number);
      return Number.isFinite(total) && Number.isFinite(available) && (total as number) > 0
        ? [{ path, totalBytes: (total as number) * 1024, availableBytes: (available as number) * 1024 }]
        : [];
    });
  }

  /**
   * The broker configs `release` knows, from the documentation its own binaries print
   * (`kafka.server.KafkaConfig` main, JVM start ~1 s): exact for any release, with nothing
   * to keep up to date here. Undefined when the host cannot tell (no java, no such class).
   */
  configKeys(release: string): Promise<ReadonlySet<string> | undefined> {
    const dir = this.spec.installs[release];
    if (dir === undefined) return Promise.resolve(undefined);
    return this.releaseKeys.get(release, () =>
      this.runner.run(shScript(CONFIG_DOCS_SCRIPT, [dir]), { timeoutMs: COMMAND_TIMEOUT_MS }).then(
        (result) => {
          const found = result.code === 0 ? configKeysFromDocs(result.stdout) : [];
          return found.length > 0 ? new Set(found) : undefined;
        },
        () => undefined,
      ),
    );
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
