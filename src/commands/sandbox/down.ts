import { Flags } from '@oclif/core';
import { sandboxDirFlag } from '../../sandbox/dir-flag.js';
import type { SandboxDownResult } from '../../sandbox/down.js';
import { KafkaOpsCommand } from '../../ui/base-command.js';
import type { Output } from '../../ui/output.js';

export default class SandboxDown extends KafkaOpsCommand<SandboxDownResult> {
  static override summary = 'Stop the local sandbox: brokers (SIGINT, bounded wait, then SIGKILL), ZooKeeper, sshd.';
  static override description =
    'Verifies that no process of the sandbox is left alive. Running it again, or on a directory without a sandbox, does nothing.';
  static override examples = ['<%= config.bin %> sandbox down', '<%= config.bin %> sandbox down --dir /tmp/sbx --purge --json'];
  static override flags = {
    dir: sandboxDirFlag,
    purge: Flags.boolean({ description: 'Also delete the sandbox directory (data, logs, inventory).', default: false }),
  };

  protected async execute(): Promise<SandboxDownResult> {
    // Loaded when the command runs: start-up loads only the commands' flags (one bundle holds them all).
    const { sandboxDown } = await import('../../sandbox/down.js');
    const { flags } = await this.parse(SandboxDown);
    return sandboxDown(flags.dir, { purge: flags.purge });
  }

  protected render(r: SandboxDownResult, output: Output): void {
    if (!r.found) {
      output.line(`No sandbox in ${r.dir}: nothing to stop.`);
      return;
    }
    for (const w of r.warnings) output.warn(w);
    for (const p of r.stopped) output.line(`  ${p.role}${p.id === undefined ? '' : ` ${p.id}`} (pid ${p.pid}): ${p.outcome}`);
    output.line(`Sandbox ${r.dir} is down${r.stopped.length === 0 ? ' (nothing was running)' : ''}${r.purged ? ' and deleted' : ''}.`);
  }
}
