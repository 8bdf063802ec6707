/**
 * Turns the raw files of a migrations directory into ordered Migrations, collecting every naming
 * and content problem at once (so one run shows the user everything to fix). Pure: reading the
 * directory is read-migration-dir.ts's job.
 *
 * Files with a problem that makes their SQL unknowable (bad name, invalid UTF-8, orphan rollback)
 * are left out of `migrations`; duplicates and empty files stay in, so lint still sees them.
 * Callers must not apply anything while `problems` holds an error.
 */
import type { Problem } from '../problems.js';
import { checksumOf } from './checksum.js';
import { decodeUtf8 } from './decode-utf8.js';
import { isSqlFileName, padNumber, parseMigrationName, suggestMigrationName, type ParsedName } from './migration-names.js';
import { hasExecutableSql, splitStatements } from './split-statements.js';
import type { Migration, RawFile, SqlFile } from './types.js';

export interface DiscoverOptions {
  /** Directory as shown to the user, relative to the project root, e.g. "migrations". */
  dir: string;
  /** Accept sparse numbering (e.g. timestamps, or deliberately removed migrations). */
  allowGaps?: boolean;
  /** Applied migrations removed on purpose (the folder's .retired file): the gaps they leave are accepted. */
  retired?: ReadonlySet<string>;
}

export interface Discovered {
  migrations: Migration[];
  problems: Problem[];
}

export function discoverMigrations(files: RawFile[], opts: DiscoverOptions): Discovered {
  const dir = opts.dir.replaceAll('\\', '/').replace(/\/+$/, '');
  const pathOf = (name: string): string => (dir === '' || dir === '.' ? name : `${dir}/${name}`);
  const pathOfRaw = (raw: RawFile): string => pathOf(raw.subdir ? `${raw.subdir}/${raw.name}` : raw.name);
  const problems: Problem[] = [];

  const named: { raw: RawFile; parsed: ParsedName }[] = [];
  const misnamed: RawFile[] = [];
  for (const raw of [...files].sort((a, b) => compareNames(a.name, b.name))) {
    if (!isSqlFileName(raw.name)) continue;
    const parsed = parseMigrationName(raw.name);
    if (parsed && raw.subdir && !parsed.isRollback) problems.push(forwardInRollbackDir(pathOfRaw(raw), pathOf(raw.name)));
    else if (parsed) named.push({ raw, parsed });
    else misnamed.push(raw);
  }
  const forward = named.filter((f) => !f.parsed.isRollback);
  // A folder numbered with 3 digits (or drizzle's 4 from 0000) keeps its width in every suggestion.
  const widths = new Set(forward.map((f) => f.parsed.id.length));
  const width = widths.size === 1 ? [...widths][0]! : Math.max(4, ...widths);
  // Suggested numbers for unnumbered files skip every number already used, even by a misnamed file.
  const used = new Set([...forward.map((f) => f.parsed.number), ...misnamed.map((f) => Number(/^\d+/.exec(f.name)?.[0] ?? NaN))]);
  let next = Math.max(0, ...forward.map((f) => f.parsed.number)) + 1;
  const takeNumber = (): string => {
    while (used.has(next)) next++;
    used.add(next);
    return padNumber(next, width);
  };

  for (const raw of misnamed) {
    const suggestion = suggestMigrationName(raw.name, takeNumber);
    problems.push({
      severity: 'error',
      code: 'E_BAD_MIGRATION_NAME',
      message: `'${raw.name}' does not follow the NNNN_slug.sql naming (slug: letters, digits, _ and -)`,
      file: pathOfRaw(raw),
      files: [pathOfRaw(raw)],
      hint: `rename '${raw.name}' to ${suggestion}`,
    });
  }

  const sqlFiles = new Map<RawFile, SqlFile>();
  for (const { raw } of named) {
    const file = toSqlFile(raw, pathOfRaw(raw), problems);
    if (file) sqlFiles.set(raw, file);
  }

  const migrations: Migration[] = [];
  for (const { raw, parsed } of forward) {
    const file = sqlFiles.get(raw);
    if (file) migrations.push({ ...file, number: parsed.number, id: parsed.id, slug: parsed.slug });
  }
  for (const { raw, parsed } of named.filter((f) => f.parsed.isRollback)) {
    const owner = migrations.find((m) => m.name === parsed.baseName);
    const rollback = sqlFiles.get(raw);
    if (owner && rollback && owner.rollback) problems.push(twoRollbacks(owner.rollback.path, rollback.path));
    else if (owner && rollback) owner.rollback = rollback;
    else if (!owner && !forward.some((f) => f.raw.name === parsed.baseName)) problems.push(orphanRollback(raw.name, parsed, forward, (n) => (n === raw.name ? pathOfRaw(raw) : pathOf(n))));
    if (rollback && !raw.subdir) problems.push(rollbackVisibleToWrangler(rollback.path, pathOf(`rollback/${raw.name}`)));
  }

  problems.push(...duplicateNumbers(forward, pathOf, takeNumber));
  if (!opts.allowGaps) problems.push(...numberingGaps(forward, pathOf, width, retiredNumbers(opts.retired)));
  const widthProblem = mixedWidths(forward, pathOf);
  if (widthProblem) problems.push(widthProblem);

  migrations.sort((a, b) => a.number - b.number || compareNames(a.name, b.name));
  return { migrations, problems };
}

function forwardInRollbackDir(path: string, proper: string): Problem {
  return {
    severity: 'error',
    code: 'E_FORWARD_IN_ROLLBACK_DIR',
    message: `${path} is a forward migration inside the rollback folder`,
    file: path,
    files: [path],
    hint: `move it to ${proper}, or name it NNNN_slug.rollback.sql if it undoes a migration`,
  };
}

function twoRollbacks(a: string, b: string): Problem {
  return {
    severity: 'error',
    code: 'E_DUPLICATE_ROLLBACK',
    message: `two rollback files for one migration: ${a} and ${b}`,
    file: b,
    files: [a, b],
    hint: 'keep one of them (the rollback/ folder is the one wrangler ignores)',
  };
}

/**
 * wrangler d1 migrations apply runs every top-level .sql file as a migration, so a
 * rollback file beside the migrations would be applied forward by wrangler.
 */
function rollbackVisibleToWrangler(path: string, safe: string): Problem {
  return {
    severity: 'warning',
    code: 'W_ROLLBACK_VISIBLE_TO_WRANGLER',
    message: `${path} sits where 'wrangler d1 migrations apply' would run it as a forward migration`,
    file: path,
    hint: `move it to ${safe}: promote reads rollback files there too, and wrangler does not`,
  };
}

/** Code-unit order, like wrangler's toSorted(): locale order would differ on case and punctuation. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toSqlFile(raw: RawFile, path: string, problems: Problem[]): SqlFile | undefined {
  const decoded = decodeUtf8(raw.bytes);
  if (!decoded.ok) {
    problems.push({
      severity: 'error',
      code: 'E_INVALID_UTF8',
      message: `${raw.name} is not valid UTF-8 (first bad byte on line ${decoded.line})`,
      file: path,
      line: decoded.line,
      files: [path],
      hint: 're-save the file as UTF-8',
    });
    return undefined;
  }
  const sql = decoded.text;
  const nul = raw.bytes.indexOf(0);
  if (nul >= 0) {
    // Valid UTF-8 but not text: SQLite stops reading a statement at a NUL, so what runs would not be what the file says.
    let line = 1;
    for (let i = 0; i < nul; i++) if (raw.bytes[i] === 0x0a) line++;
    problems.push({
      severity: 'error',
      code: 'E_BINARY_FILE',
      message: `${raw.name} contains NUL bytes (first on line ${line}): it looks binary, not SQL text`,
      file: path,
      line,
      files: [path],
      hint: 'replace it with the SQL text file, saved as UTF-8 (was a binary file copied here by mistake?)',
    });
    return undefined;
  }
  if (!hasExecutableSql(sql)) {
    problems.push({
      severity: 'error',
      code: 'E_EMPTY_FILE',
      message: `${raw.name} contains no SQL statements (it is empty or only comments)`,
      file: path,
      files: [path],
      hint: /\.rollback\.sql$/.test(raw.name)
        ? 'write the statements that undo the migration, or delete the rollback file'
        : 'add the migration\'s SQL, or delete the file if it is not needed',
    });
  }
  return { name: raw.name, path, sql, checksum: checksumOf(sql), statements: splitStatements(sql) };
}

type Forward = { raw: RawFile; parsed: ParsedName }[];

function orphanRollback(name: string, parsed: ParsedName, forward: Forward, pathOf: (n: string) => string): Problem {
  const sameNumber = forward.find((f) => f.parsed.number === parsed.number);
  const path = pathOf(name);
  return {
    severity: 'error',
    code: 'E_ORPHAN_ROLLBACK',
    message: `${name} has no migration ${parsed.baseName} to roll back`,
    file: path,
    files: sameNumber ? [path, pathOf(sameNumber.raw.name)] : [path],
    hint: sameNumber
      ? `rename '${name}' to ${sameNumber.raw.name.replace(/\.sql$/, '.rollback.sql')}`
      : `add ${parsed.baseName}, or delete '${name}'`,
  };
}

function duplicateNumbers(forward: Forward, pathOf: (n: string) => string, takeNumber: () => string): Problem[] {
  const byNumber = new Map<number, string[]>();
  for (const { raw, parsed } of forward) byNumber.set(parsed.number, [...(byNumber.get(parsed.number) ?? []), raw.name]);
  const problems: Problem[] = [];
  for (const [number, names] of byNumber) {
    if (names.length < 2) continue;
    const paths = names.map(pathOf);
    const renames = names.slice(1).map((n) => `'${n}' to ${n.replace(/^\d+/, takeNumber())}`);
    problems.push({
      severity: 'error',
      code: 'E_DUPLICATE_NUMBER',
      message: `migration number ${number} is used by ${names.length} files: ${paths.join(', ')}`,
      file: paths[0]!,
      files: paths,
      hint: `give each migration its own number, e.g. rename ${renames.join(', ')}; where it was applied already, 'promote repair --all' then records the new name in each ledger`,
    });
  }
  return problems;
}

function retiredNumbers(retired: ReadonlySet<string> | undefined): Set<number> {
  return new Set([...(retired ?? [])].flatMap((name) => {
    const parsed = parseMigrationName(name);
    return parsed ? [parsed.number] : [];
  }));
}

function numberingGaps(forward: Forward, pathOf: (n: string) => string, width: number, retired: ReadonlySet<number>): Problem[] {
  const numbers = [...new Set(forward.map((f) => f.parsed.number))].sort((a, b) => a - b);
  const namesOf = (n: number): string[] => forward.filter((f) => f.parsed.number === n).map((f) => f.raw.name);
  const problems: Problem[] = [];
  for (let k = 1; k < numbers.length; k++) {
    const before = numbers[k - 1]!;
    const after = numbers[k]!;
    if (after - before <= 1) continue;
    // A gap left by migrations retired on purpose is not a lost file.
    if (Array.from({ length: after - before - 1 }, (_, j) => before + 1 + j).every((n) => retired.has(n))) continue;
    const missingCount = after - before - 1;
    const missing =
      missingCount <= 5
        ? Array.from({ length: missingCount }, (_, j) => padNumber(before + 1 + j, width)).join(', ')
        : `${padNumber(before + 1, width)} to ${padNumber(after - 1, width)}`;
    const beforePaths = namesOf(before).map(pathOf);
    const afterPaths = namesOf(after).map(pathOf);
    const paths = [...beforePaths, ...afterPaths];
    problems.push({
      severity: 'error',
      code: 'E_NUMBERING_GAP',
      message: `migration numbering jumps from ${beforePaths.join(', ')} to ${afterPaths.join(', ')}: ${missing} missing`,
      file: afterPaths[0]!,
      files: paths,
      hint: `renumber the migrations after the gap (e.g. ${namesOf(after)[0]} to ${padNumber(before + 1, width)}), restore the missing file(s), run 'promote repair --retire <name>' if an applied migration was removed on purpose, or set allowGaps if sparse numbers are intended`,
    });
  }
  return problems;
}

/**
 * One folder, one number width: wrangler up to 4.97 applies files in name order, where 0010_x sorts
 * before 009_y, and newer wrangler in numeric order, so mixed widths can make two wranglers disagree
 * on the order. A folder that uses 3 digits throughout (or a timestamp) is fine.
 */
function mixedWidths(forward: Forward, pathOf: (n: string) => string): Problem | undefined {
  const byWidth = new Map<number, string[]>();
  for (const { raw, parsed } of forward) byWidth.set(parsed.id.length, [...(byWidth.get(parsed.id.length) ?? []), raw.name]);
  if (byWidth.size < 2) return undefined;
  const groups = [...byWidth.entries()].sort((a, b) => b[1].length - a[1].length || b[0] - a[0]);
  const [common, ...others] = groups as [[number, string[]], ...[number, string[]][]];
  const odd = others.flatMap(([, names]) => names);
  const shown = (names: string[]): string => (names.length <= 4 ? names.map(pathOf).join(', ') : `${names.slice(0, 3).map(pathOf).join(', ')} and ${names.length - 3} more`);
  const byName = [...forward].sort((a, b) => compareNames(a.raw.name, b.raw.name)).map((f) => f.raw.name);
  const byNumber = [...forward].sort((a, b) => a.parsed.number - b.parsed.number || compareNames(a.raw.name, b.raw.name)).map((f) => f.raw.name);
  const at = byName.findIndex((n, k) => n !== byNumber[k]);
  const order = at === -1 ? '' : `; name order (wrangler before 4.98) would run ${byName[at]} before ${byNumber[at]}`;
  return {
    severity: 'error',
    code: 'E_MIXED_NUMBER_WIDTH',
    message: `migration numbers in ${pathOf('').replace(/\/$/, '') || '.'} have different widths: ${common[0]} digits (${shown(common[1])}) and ${others.map(([w, names]) => `${w} digits (${shown(names)})`).join(', ')}${order}`,
    file: pathOf(odd[0]!),
    files: odd.map(pathOf),
    hint: `use ${common[0]} digits for every file of the folder, e.g. rename ${odd.slice(0, 3).map((n) => `'${n}' to ${n.replace(/^\d+/, (d) => padNumber(Number(d), common[0]))}`).join(', ')} (if it was applied already, run promote repair afterwards to record the new name)`,
  };
}
