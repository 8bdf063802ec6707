/**
 * The one crash-safe file writer for everything promote keeps under .promote/
 * (run records, Worker versions, restore counts, backups). A write goes to a temp
 * file in the same directory (same filesystem, so rename is atomic), is synced,
 * then renamed over the destination: a reader sees the old file or the new one,
 * never a torn one. A crash can leave a `.tmp` file behind; readers never look
 * at those names.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { makePrivateDir, makePrivateDirSync, PRIVATE_FILE_MODE } from './private-files.js';

const TEMP_SUFFIX = '.tmp';

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  await makePrivateDir(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The same, synchronously: for the run record, written after every transition before the next event. */
export function writeFileAtomicSync(path: string, data: string): void {
  const dir = dirname(path);
  makePrivateDirSync(dir);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const fd = openSync(temp, 'w', PRIVATE_FILE_MODE);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The file's text, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
