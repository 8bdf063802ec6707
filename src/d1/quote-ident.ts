/** An SQL identifier in double quotes, inner quotes doubled: names from config are never spliced in bare. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
