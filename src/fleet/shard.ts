/**
 * Which shard of a sharded run owns a tenant. A tenant's shard depends on its id
 * alone (sha256 of the id, the first 8 bytes as an unsigned integer, mod n), never
 * on its position in the list: adding or removing a tenant moves no other tenant to
 * another shard, so a shard that retries after the fleet grew still runs the same
 * tenants it ran before, plus its share of the new ones.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** More shards than GitHub lets one matrix run at once (256) only queue: it is the cap. */
export const MAX_SHARDS = 256;

/** The 1-based shard of `tenantId` among `count` shards. */
export function shardOf(tenantId: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  const digest = createHash('sha256').update(tenantId, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(count)) + 1;
}

export function inShard(tenantId: string, shard: Shard): boolean {
  return shardOf(tenantId, shard.count) === shard.index;
}

/** Shard 1 runs the canaries before the others start (the workflow orders the jobs with `needs`). */
export function runsCanaries(shard: Shard | undefined): boolean {
  return shard === undefined || shard.index === 1;
}

export function describeShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** `--shard 2/8` -> { index: 2, count: 8 }; anything else is exit 2 with what to write instead. */
export function parseShard(text: string, flag = '--shard'): Shard {
  const refuse = (why: string): never => {
    throw new InvalidInputError([], `${flag} ${text}: ${why}; write ${flag} <i>/<n> with 1 <= i <= n <= ${MAX_SHARDS}, e.g. ${flag} 1/4 to ${flag} 4/4 in a matrix of 4 jobs`);
  };
  const match = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(text);
  if (!match) return refuse('not of the form <i>/<n>');
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) refuse('the shard count must be at least 1');
  if (count > MAX_SHARDS) refuse(`at most ${MAX_SHARDS} shards`);
  if (index < 1) refuse('shards are numbered from 1');
  if (index > count) refuse(`there is no shard ${index} of ${count}`);
  return { index, count };
}
