/** Readers for the files GitHub Actions consumes, written the way the runner reads them. */

/** GITHUB_OUTPUT: `name=value` lines or `name<<DELIM` … `DELIM` blocks (actions/runner SetOutputFileCommand). */
export function parseOutputFile(text: string): Record<string, string> {
  const lines = text.split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = line.indexOf('<<');
    const equals = line.indexOf('=');
    if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`no closing delimiter ${delimiter} for ${name}`);
      out[name] = value.join('\n');
    } else if (equals > 0) {
      out[line.slice(0, equals)] = line.slice(equals + 1);
    } else {
      throw new Error(`invalid line: ${line}`);
    }
  }
  return out;
}
