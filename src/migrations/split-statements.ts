/**
 * Splits a migration file into statements the way SQLite itself would see them.
 *
 * The state machine is sqlite3_complete()'s (SQLite complete.c): a ';' ends a statement, except
 * inside CREATE [TEMP] TRIGGER, whose body ends only at `; END ;`. Because it runs over tokens,
 * semicolons in strings, comments and quoted identifiers never split, the END of a CASE inside a
 * trigger does not end it, and CRLF is just whitespace (wrangler's CRLF + trigger "incomplete input"
 * bug came from matching raw text).
 */
import { isPunct, keywordOf, tokenize, type Token } from './sql-tokens.js';
import type { Statement } from './types.js';

/** complete.c's token classes. */
enum Tk {
  Semi,
  Other,
  Explain,
  Create,
  Temp,
  Trigger,
  End,
}

/** complete.c's states (its INVALID and START behave alike here: we never see leading whitespace tokens). */
enum State {
  Start,
  Normal,
  Explain,
  Create,
  Trigger,
  Semi,
  End,
}

// prettier-ignore
const TRANSITIONS: readonly (readonly State[])[] = [
  /*                 Semi         Other         Explain        Create         Temp           Trigger        End */
  /* Start   */ [State.Start, State.Normal,  State.Explain, State.Create,  State.Normal,  State.Normal,  State.Normal],
  /* Normal  */ [State.Start, State.Normal,  State.Normal,  State.Normal,  State.Normal,  State.Normal,  State.Normal],
  /* Explain */ [State.Start, State.Explain, State.Normal,  State.Create,  State.Normal,  State.Normal,  State.Normal],
  /* Create  */ [State.Start, State.Normal,  State.Normal,  State.Normal,  State.Create,  State.Trigger, State.Normal],
  /* Trigger */ [State.Semi,  State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger],
  /* Semi    */ [State.Semi,  State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.End],
  /* End     */ [State.Start, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger, State.Trigger],
];

function classify(token: Token): Tk {
  if (isPunct(token, ';')) return Tk.Semi;
  switch (keywordOf(token)) {
    case 'EXPLAIN':
      return Tk.Explain;
    case 'CREATE':
      return Tk.Create;
    case 'TEMP':
    case 'TEMPORARY':
      return Tk.Temp;
    case 'TRIGGER':
      return Tk.Trigger;
    case 'END':
      return Tk.End;
    default:
      return Tk.Other;
  }
}

/**
 * drizzle-kit ends each statement with a `--> statement-breakpoint` line, and its migrator splits on
 * that marker alone. To SQLite the line is a comment, so the marker is found in the gaps between
 * tokens (never inside a string) and ends the statement there, even without a ';' or inside what
 * would otherwise read as an unfinished trigger.
 */
const BREAKPOINT = /-->\s*statement-breakpoint/g;

function breakpointOffsets(sql: string): number[] {
  if (!sql.includes('statement-breakpoint')) return [];
  return [...sql.matchAll(BREAKPOINT)].map((m) => m.index);
}

export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  const breakpoints = breakpointOffsets(sql);
  let nextBreak = 0;
  let state = State.Start;
  let first: Token | undefined;
  let last: Token | undefined;

  const flush = (): void => {
    if (first && last) {
      const text = sql.slice(first.start, last.end);
      statements.push({ sql: text, line: first.line, endLine: last.endLine, bytes: Buffer.byteLength(text, 'utf8') });
    }
    first = undefined;
    last = undefined;
  };

  for (const token of tokenize(sql)) {
    // Markers inside a token (a string that happens to contain the text) are skipped over.
    while (nextBreak < breakpoints.length && breakpoints[nextBreak]! < token.start) {
      if (last && breakpoints[nextBreak]! >= last.end) {
        flush();
        state = State.Start;
      }
      nextBreak++;
    }
    const tk = classify(token);
    state = TRANSITIONS[state]![tk]!;
    if (tk === Tk.Semi && state === State.Start) {
      // Empty statements (";;") produce nothing, as in SQLite.
      flush();
      continue;
    }
    // Inside a trigger body the ';' tokens belong to the statement.
    first ??= token;
    last = token;
  }
  // A final statement without ';' is still a statement; whether it is complete is isCompleteStatement's call.
  flush();
  return statements;
}

/**
 * sqlite3_complete() for one statement as splitStatements returns it: would `sql;` be a whole statement?
 * False for a trigger missing its `END;` or text ending inside a string or quoted identifier,
 * both of which SQLite (and D1) reject as "incomplete input".
 */
export function isCompleteStatement(sql: string): boolean {
  let state = State.Start;
  for (const token of tokenize(sql)) {
    if (token.unterminated) return false;
    state = TRANSITIONS[state]![classify(token)]!;
  }
  return TRANSITIONS[state]![Tk.Semi] === State.Start;
}

/** True when the text holds at least one token other than ';': comments and whitespace do not count. */
export function hasExecutableSql(sql: string): boolean {
  return tokenize(sql).some((token) => !isPunct(token, ';'));
}
