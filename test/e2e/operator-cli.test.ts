/**
 * Operator-facing behaviour of the built CLI that needs no cluster: bad input files and the
 * run-control commands (status, unlock) on a state dir, as real processes.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { VALID_INVENTORY, useScratchDir } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('operator-cli');

describe('bad input files', () => {
  it('a YAML alias bomb in an inventory is bad input: exit 2 with file and line, not a bug (70)', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const bomb = scratch.write('bomb.yaml', `${VALID_INVENTORY}\n${levels.join('\n')}\n`);
    const aliasLine = VALID_INVENTORY.split('\n').length + 2;
    const result = await runCli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', bomb]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${bomb}:${aliasLine}:`);
    expect(result.stderr).not.toContain('bug');
  });
});
