/**
 * `<migrations dir>/.retired`: the applied migrations whose files were removed on purpose, one name a
 * line. It lives beside the migrations and is committed with them, because `promote validate` reads
 * only files: a record in a database would leave validate unable to tell a deliberate gap from a lost
 * file, and every environment (and every clone) must agree on it. wrangler reads only `.sql` names,
 * so the file is invisible to it.
 */
export const RETIRED_FILE = '.retired';

const HEADER = `# Applied migrations whose files were removed on purpose (promote repair --retire <name>).
# promote validate accepts the numbering gap each leaves; promote status shows them as retired.
# Commit this file with the removal.
`;

/** Names listed in the file: blank lines and # comments ignored, a trailing comment allowed. */
export function parseRetired(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const name = line.replace(/#.*$/, '').trim();
    if (name !== '') names.add(name);
  }
  return names;
}

/** The file's new text with `name` added (the header written when the file is new). */
export function addRetired(existing: string | undefined, name: string, note: string): string {
  const base = existing ?? HEADER;
  if (parseRetired(base).has(name)) return base;
  return `${base}${base === '' || base.endsWith('\n') ? '' : '\n'}${name}  # ${note}\n`;
}
