/**
 * What a terminal sink writes to: the output mode (decided once by the CLI from
 * flags and the environment) and two line writers. Defined here, below the CLI,
 * so the sinks never import it.
 */
export interface Output {
  json: boolean;
  color: boolean;
  interactive: boolean;
  out(text: string): void;
  err(text: string): void;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(o: Pick<Output, 'color'>, style: Style, text: string): string {
  return o.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}
