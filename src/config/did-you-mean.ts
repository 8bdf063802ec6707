import { distance } from 'fastest-levenshtein';

/**
 * The candidate the user most likely meant, or undefined when nothing is close.
 * Case-insensitive equality wins outright (`Bookmark` -> `bookmark`); otherwise the
 * allowed edit distance grows with the word so short keys do not match everything.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact !== undefined) return exact;

  const budget = input.length <= 3 ? 1 : input.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d <= budget && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== undefined) return best;

  // Abbreviations (`prod` for `production`) are too far by edit distance but obvious to a reader.
  if (input.length >= 3) return candidates.find((c) => c.toLowerCase().startsWith(lower));
  return undefined;
}

/** ` did you mean 'x'?` ready to append to a message, or ''. */
export function suggestionSuffix(input: string, candidates: readonly string[]): string {
  const s = didYouMean(input, candidates);
  return s === undefined ? '' : `; did you mean '${s}'?`;
}
