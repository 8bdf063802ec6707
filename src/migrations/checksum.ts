/**
 * Content checksum for drift detection. CRLF is normalised to LF first, so the same migration
 * checked out on Windows (core.autocrlf) and on Linux has one checksum and is not reported as edited.
 */
import { createHash } from 'node:crypto';

export function checksumOf(text: string): string {
  return `sha256:${createHash('sha256').update(text.replaceAll('\r\n', '\n'), 'utf8').digest('hex')}`;
}
