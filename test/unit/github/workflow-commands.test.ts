import { describe, expect, it } from 'vitest';
import {
  addMaskCommands,
  endGroupCommand,
  errorCommand,
  escapeData,
  escapeProperty,
  groupCommand,
  warningCommand,
} from '../../../src/notify/github/workflow-commands.js';

/** The runner's unescaping (actions/runner ActionCommand), to prove the round trip. */
const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

function parseCommand(line: string): { command: string; props: Record<string, string>; data: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/s.exec(line);
  if (!m) throw new Error(`not a command: ${line}`);
  const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), unescapeProperty(kv.slice(i + 1))];
  }));
  return { command: m[1]!, props, data: unescapeData(m[3]!) };
}

describe('workflow commands', () => {
  it('escapes data and properties the way the runner unescapes them', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('writes ::error with file, line and title, every value surviving the round trip', () => {
    const message = 'status 503: 100% down,\nretry later';
    const line = errorCommand(message, { file: 'migrations/0002_a,b:c.sql', line: 7, title: 'W_DROP: 50%, really' });
    expect(line).toBe('::error file=migrations/0002_a%2Cb%3Ac.sql,line=7,title=W_DROP%3A 50%25%2C really::status 503: 100%25 down,%0Aretry later');
    expect(line).not.toContain('\n');
    expect(parseCommand(line)).toEqual({ command: 'error', props: { file: 'migrations/0002_a,b:c.sql', line: '7', title: 'W_DROP: 50%, really' }, data: message });
  });

  it('writes warning, group, endgroup and add-mask lines', () => {
    expect(warningCommand('careful')).toBe('::warning::careful');
    expect(groupCommand('production: 1/2')).toBe('::group::production: 1/2');
    expect(endGroupCommand()).toBe('::endgroup::');
    expect(addMaskCommands('s3cr%t')).toEqual(['::add-mask::s3cr%25t']);
    expect(addMaskCommands('-----BEGIN KEY-----\nabc\n\n-----END KEY-----\n')).toEqual([
      '::add-mask::-----BEGIN KEY-----',
      '::add-mask::abc',
      '::add-mask::-----END KEY-----',
    ]);
  });
});
