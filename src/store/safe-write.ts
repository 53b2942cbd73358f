/**
 * Writing state files (plan.yaml, journal, lock, `plan -o`) without following symlinks: a link
 * planted where a state file goes (`plan.yaml → ~/.ssh/authorized_keys`) would otherwise have its
 * target overwritten. Files are created 0600 (a plan names hosts and references secrets), the
 * file replaced by a rename of a temp file created O_EXCL|O_NOFOLLOW beside it.
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';

/** Refuses a path that is a symbolic link (or not a regular file) where a state file goes. */
export function assertNotLink(file: string): void {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (stat.isSymbolicLink() || !stat.isFile())
    throw new UserError(
      `${file} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; kafka-ops writes its files only as regular files it creates.`,
      {
        code: 'STATE_FILE_LINK',
        action: `Remove ${file} (look at where it points first: someone may have planted it), or write to another path. Nothing was written.`,
      },
    );
}

/** Replaces `file` with `content` atomically, mode 0600, never through a symlink at `file`. */
export function writeStateFile(file: string, content: string, mode = 0o600): void {
  assertNotLink(file);
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
}

/** Opens `file` to append (created 0600), refusing a symlink at it (O_NOFOLLOW). */
export function openForAppend(file: string): number {
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
}
