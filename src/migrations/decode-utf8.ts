/**
 * Strict UTF-8 decoding for migration files. A lenient decoder would turn a Latin-1 'é' into U+FFFD
 * and ship the replacement character into production data; we refuse the file instead and say
 * where the first bad byte is. A leading BOM (Windows editors) is accepted and removed.
 */

export type Decoded = { ok: true; text: string } | { ok: false; line: number };

export function decodeUtf8(bytes: Uint8Array): Decoded {
  try {
    // TextDecoder removes a leading BOM by default (ignoreBOM: false).
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const offset = firstInvalidOffset(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    return { ok: false, line };
  }
}

/**
 * Length of the longest prefix that is valid UTF-8, allowing a sequence cut off at its end.
 * Validity of prefixes is monotone, so binary search with the platform decoder in streaming mode
 * (which holds back a cut-off sequence instead of failing) avoids hand-writing a UTF-8 validator.
 */
function firstInvalidOffset(bytes: Uint8Array): number {
  const validPrefix = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let low = 0; // valid
  let high = bytes.length; // invalid as a whole (fatal decode failed)
  if (validPrefix(high)) {
    // Only a sequence cut off at the end is wrong: point at its lead byte.
    let lead = high - 1;
    while (lead > 0 && ((bytes[lead] ?? 0) & 0xc0) === 0x80) lead--;
    return lead;
  }
  while (high - low > 1) {
    const mid = (low + high) >>> 1;
    if (validPrefix(mid)) low = mid;
    else high = mid;
  }
  return low;
}
