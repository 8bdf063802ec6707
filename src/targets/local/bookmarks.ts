/**
 * Time Travel on the local target: a bookmark is a consistent snapshot of each
 * of an environment's databases, filed under an id shaped like D1's
 * (00000085-0000024c-00004c6d-<32 hex>) that sorts oldest to newest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { makePrivateDir, PRIVATE_FILE } from '../../private-files.js';
import type { LocalEnvironmentRuntime, Snapshot } from './local-environment.js';

export interface BookmarkMeta {
  id: string;
  environment: string;
  runId: string;
  /** Epoch ms. */
  takenAt: number;
  bindings: string[];
}

let sequence = 0;

export function bookmarkId(takenAt: number, content: string): string {
  const ms = takenAt.toString(16).padStart(16, '0');
  const seq = ((sequence++ & 0xffff) | (randomBytes(2).readUInt16BE() << 16)) >>> 0;
  const digest = createHash('sha256').update(content).digest('hex').slice(0, 32);
  return `${ms.slice(0, 8)}-${ms.slice(8)}-${seq.toString(16).padStart(8, '0')}-${digest}`;
}

export class BookmarkStore {
  constructor(
    private readonly dir: string,
    private readonly environment: string,
  ) {}

  async take(runtime: LocalEnvironmentRuntime, bindings: readonly string[], runId: string): Promise<BookmarkMeta> {
    const takenAt = Date.now();
    const snapshots = await Promise.all(bindings.map(async (b) => [b, await runtime.snapshot(b)] as const));
    const text = snapshots.map(([b, s]) => `${b}\n${JSON.stringify(s)}`).join('\n');
    const meta: BookmarkMeta = { id: bookmarkId(takenAt, text), environment: this.environment, runId, takenAt, bindings: [...bindings] };
    const target = join(this.dir, meta.id);
    const tmp = `${target}.tmp-${process.pid}`;
    await makePrivateDir(tmp);
    for (const [binding, snap] of snapshots) await writeFile(join(tmp, `${binding}.json`), JSON.stringify(snap), PRIVATE_FILE);
    await writeFile(join(tmp, 'bookmark.json'), JSON.stringify(meta, null, 2), PRIVATE_FILE);
    // The directory appears whole or not at all.
    await rename(tmp, target);
    return meta;
  }

  async get(id: string): Promise<BookmarkMeta> {
    const file = join(this.dir, id, 'bookmark.json');
    if (!existsSync(file)) {
      const known = (await this.list()).map((b) => b.id);
      throw new InvalidInputError([], `no bookmark ${id} for ${this.environment}${known.length ? `; known: ${known.slice(-5).join(', ')}` : ''}`);
    }
    return JSON.parse(await readFile(file, 'utf8')) as BookmarkMeta;
  }

  async snapshot(id: string, binding: string): Promise<Snapshot> {
    return JSON.parse(await readFile(join(this.dir, id, `${binding}.json`), 'utf8')) as Snapshot;
  }

  /** Oldest first (ids sort by time). */
  async list(): Promise<BookmarkMeta[]> {
    if (!existsSync(this.dir)) return [];
    const ids = (await readdir(this.dir)).filter((n) => !n.includes('.tmp-')).sort();
    const metas: BookmarkMeta[] = [];
    for (const id of ids) {
      const file = join(this.dir, id, 'bookmark.json');
      if (existsSync(file)) metas.push(JSON.parse(await readFile(file, 'utf8')) as BookmarkMeta);
    }
    return metas;
  }

  async restore(runtime: LocalEnvironmentRuntime, id: string): Promise<{ meta: BookmarkMeta; restoredAt: number }> {
    const meta = await this.get(id);
    for (const binding of meta.bindings) await runtime.restore(binding, await this.snapshot(id, binding));
    return { meta, restoredAt: Date.now() };
  }
}
