import { describe, expect, it } from 'vitest';
import { PipelineSchema } from '../../../src/config/schema.js';

const base = { name: 'p', stages: [{ environment: 'production' }] };

describe('notify in pipeline.yaml', () => {
  it('is optional, and notify.github defaults to deployments under promote/', () => {
    expect(PipelineSchema.parse(base).notify).toBeUndefined();
    expect(PipelineSchema.parse({ ...base, notify: { github: {} } }).notify).toEqual({ github: { deployments: true, environmentPrefix: 'promote/' } });
    expect(PipelineSchema.parse({ ...base, notify: { github: { deployments: false, environmentPrefix: '' } } }).notify?.github).toEqual({ deployments: false, environmentPrefix: '' });
  });

  it('takes notify.slack as the Slack sink defines it; an empty webhook (an unset ${VAR:-}) is valid and means off', () => {
    expect(PipelineSchema.parse({ ...base, notify: { slack: { webhook: '' } } }).notify?.slack).toMatchObject({ webhook: '', timeout: 10_000 });
    expect(PipelineSchema.parse({ ...base, notify: { slack: { webhook: 'https://hooks.slack.com/services/T/B/X', timeout: '2s' } } }).notify?.slack?.timeout).toBe(2000);
  });

  it('rejects unknown keys (typos) under notify', () => {
    const issues = (notify: unknown) => PipelineSchema.safeParse({ ...base, notify }).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ slak: {} })).toEqual(['notify']);
    expect(issues({ github: { deployment: true } })).toEqual(['notify.github']);
  });
});
