/**
 * GitHub Actions workflow commands (`::name props::data` lines on stdout). Pure:
 * each function returns the line; the caller prints it. Escaping follows
 * actions/toolkit: data escapes % CR LF, property values also : and ,.
 */

export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endColumn?: number;
}

export function formatCommand(command: string, properties: Readonly<Record<string, string | number | undefined>>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

export const errorCommand = (message: string, properties: AnnotationProperties = {}): string => formatCommand('error', { ...properties }, message);
export const warningCommand = (message: string, properties: AnnotationProperties = {}): string => formatCommand('warning', { ...properties }, message);
export const noticeCommand = (message: string, properties: AnnotationProperties = {}): string => formatCommand('notice', { ...properties }, message);
export const groupCommand = (title: string): string => formatCommand('group', {}, title);
export const endGroupCommand = (): string => '::endgroup::';

/**
 * `::add-mask::` lines for one secret. The runner masks per line, so a multi-line
 * secret (a PEM key) gets one mask per non-empty line.
 */
export function addMaskCommands(secret: string): string[] {
  return secret
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => formatCommand('add-mask', {}, line));
}
