/**
 * Credentials in config values: refused wherever a value leaves the machine (health
 * check URL, headers, body; notification settings; anything but the key made for the
 * credential), in-process through loadProject, so every command that loads the config
 * refuses the same way. Declared health secrets: required, never a credential.
 */
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.js';
import { CREDENTIALS } from '../../../src/config/credential-rules.js';
import { loadProblems, PIPELINE, project, STAGING_ENV } from './project-fixture.js';

const ENV = {
  CLOUDFLARE_API_TOKEN: 'cf-token-0123456789abcdef',
  GITHUB_TOKEN: 'ghp_0123456789abcdef0123',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/secret0123',
  SLACK_BOT_TOKEN: 'xoxb-0123456789-abcdef',
  MY_HOOK: 'https://hooks.slack.com/services/T1/B1/other4567',
  HEALTH_TOKEN: 'health-0123456789',
};

const stagingWith = (health: string, extra = ''): string => `${STAGING_ENV}${extra}health:\n${health}`;

describe('a credential interpolated where it would be sent is refused', () => {
  const forms: { form: string; health: string; path: string; line: number }[] = [
    { form: 'URL', health: '  - url: https://collector.example/check?t=${VAR}\n', path: 'health[0].url', line: 5 },
    { form: 'header', health: '  - url: /health\n    headers:\n      X-Debug: "${VAR}"\n', path: 'health[0].headers.X-Debug', line: 7 },
    { form: 'body', health: '  - url: /health\n    method: POST\n    body: \'{"t":"${VAR}"}\'\n', path: 'health[0].body', line: 7 },
  ];
  const credentials = ['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN', 'GITHUB_TOKEN', 'SLACK_WEBHOOK_URL', 'SLACK_BOT_TOKEN'];
  for (const { form, health, path, line } of forms) {
    for (const name of credentials) {
      it(`${name} in a health check ${form}`, async () => {
        const root = await project({ 'environments/staging.yaml': stagingWith(health.replace('${VAR}', `\${${name}}`)) });
        const problems = await loadProblems(root, { env: { ...ENV, CF_API_TOKEN: 'cf-other-0123456789' } });
        const p = problems.find((x) => x.code === 'E_CONFIG_CREDENTIAL_USE');
        expect(p, JSON.stringify(problems)).toMatchObject({ severity: 'error', file: 'environments/staging.yaml', line });
        expect(p!.message).toContain(`${path}: \${${name}} is`);
        expect(p!.hint).toContain('secrets: [HEALTH_TOKEN]');
        // The value itself is never part of the message.
        for (const v of Object.values(ENV)) expect(JSON.stringify(problems)).not.toContain(v);
      });
    }
  }

  it('also with a default, unset, or anywhere else in an environment file', async () => {
    const root = await project({
      'environments/staging.yaml': `${STAGING_ENV}worker:\n  url: https://\${GITHUB_TOKEN:-x}.example.com\nhealth:\n  - url: /h?k=\${CLOUDFLARE_API_TOKEN:-none}\n`,
    });
    const problems = await loadProblems(root, { env: {} });
    expect(problems.filter((p) => p.code === 'E_CONFIG_CREDENTIAL_USE').map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [5, 'worker.url'],
      [7, 'health[0].url'],
    ]);
  });

  it('in other notification settings: apiUrl, the wrong Slack key, GitHub environmentPrefix', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': `${PIPELINE}notify:
  slack:
    token: \${SLACK_WEBHOOK_URL}
    channel: C0123
    apiUrl: https://proxy.example/\${SLACK_BOT_TOKEN}
  github:
    environmentPrefix: \${GITHUB_TOKEN}/
`,
    });
    const problems = await loadProblems(root, { env: ENV });
    const refused = problems.filter((p) => p.code === 'E_CONFIG_CREDENTIAL_USE');
    expect(refused.map((p) => [p.file, p.line, p.message.split(':')[0]])).toEqual([
      ['pipeline/pipeline.yaml', 7, 'notify.slack.token'],
      ['pipeline/pipeline.yaml', 9, 'notify.slack.apiUrl'],
      ['pipeline/pipeline.yaml', 11, 'notify.github.environmentPrefix'],
    ]);
    expect(refused[0]!.hint).toContain('only notify.slack.webhook');
  });

  it('a variable the pipeline uses as the Slack webhook is a credential everywhere else', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': `${PIPELINE}notify:\n  slack:\n    webhook: \${MY_HOOK}\n`,
      'environments/staging.yaml': stagingWith('  - url: ${MY_HOOK}/health\n'),
    });
    const problems = await loadProblems(root, { env: ENV });
    const p = problems.find((x) => x.code === 'E_CONFIG_CREDENTIAL_USE');
    expect(p).toMatchObject({ file: 'environments/staging.yaml', line: 5 });
    expect(p!.message).toContain("the Slack webhook URL (pipeline/pipeline.yaml's notify.slack.webhook reads it)");
  });

  it('a credential copied into another variable is refused by its value', async () => {
    const root = await project({
      'environments/staging.yaml': stagingWith('  - url: /health\n    headers:\n      Authorization: Bearer ${HEALTH_TOKEN}\n', 'secrets: [HEALTH_TOKEN]\n'),
    });
    const problems = await loadProblems(root, { env: { ...ENV, HEALTH_TOKEN: ENV.CLOUDFLARE_API_TOKEN } });
    const p = problems.find((x) => x.code === 'E_CONFIG_CREDENTIAL_VALUE');
    expect(p).toMatchObject({ severity: 'error', file: 'environments/staging.yaml', line: 8 });
    expect(p!.message).toContain('${HEALTH_TOKEN} holds the value of CLOUDFLARE_API_TOKEN');
    expect(JSON.stringify(problems)).not.toContain(ENV.CLOUDFLARE_API_TOKEN);
  });

  it('the keys made for Slack credentials take them', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': `${PIPELINE}notify:\n  slack:\n    webhook: \${SLACK_WEBHOOK_URL:-}\n`,
    });
    await expect(loadProject(root, { env: ENV })).resolves.toMatchObject({ warnings: [] });
    const bot = await project({
      'pipeline/pipeline.yaml': `${PIPELINE}notify:\n  slack:\n    token: \${SLACK_BOT_TOKEN}\n    channel: C0123\n`,
    });
    await expect(loadProject(bot, { env: ENV })).resolves.toMatchObject({ warnings: [] });
  });

  it('a Slack apiUrl other than Slack\'s, with a bot token, is a warning on its line', async () => {
    const root = await project({
      'pipeline/pipeline.yaml': `${PIPELINE}notify:\n  slack:\n    token: \${SLACK_BOT_TOKEN}\n    channel: C0123\n    apiUrl: https://collector.example/api\n`,
    });
    const { warnings } = await loadProject(root, { env: ENV });
    expect(warnings.map((w) => [w.code, w.line, w.message])).toEqual([
      ['W_SLACK_API_URL', 9, 'notify.slack.apiUrl: the Slack bot token is sent to collector.example, not to Slack'],
    ]);
  });

  it('the credential list holds what the Cloudflare target reads', () => {
    expect(CREDENTIALS.cloudflare.names).toEqual(expect.arrayContaining(['CLOUDFLARE_API_TOKEN', 'CF_API_TOKEN']));
  });
});

describe('secrets: declared health check secrets', () => {
  const withSecret = stagingWith('  - url: /health\n    headers:\n      Authorization: Bearer ${HEALTH_TOKEN}\n', 'secrets: [HEALTH_TOKEN]\n');

  it('a declared secret in a header loads without warnings', async () => {
    const root = await project({ 'environments/staging.yaml': withSecret });
    const { project: p, warnings } = await loadProject(root, { env: ENV });
    expect(warnings).toEqual([]);
    const staging = p.environments.get('staging')!.config;
    expect(staging.secrets).toEqual(['HEALTH_TOKEN']);
    expect(staging.health[0]!.headers).toEqual({ Authorization: `Bearer ${ENV.HEALTH_TOKEN}` });
  });

  it('is refused when unset or empty, at its line in secrets:', async () => {
    const root = await project({ 'environments/staging.yaml': `${STAGING_ENV}secrets:\n  - HEALTH_TOKEN\n  - OTHER_SECRET\nhealth:\n  - url: /health?a=\${HEALTH_TOKEN:-}&b=\${OTHER_SECRET:-}\n` });
    const problems = await loadProblems(root, { env: { HEALTH_TOKEN: '' } });
    expect(problems.filter((p) => p.code === 'E_CONFIG_SECRET_UNSET').map((p) => [p.line, p.message])).toEqual([
      [5, 'secrets[0]: HEALTH_TOKEN is empty'],
      [6, 'secrets[1]: OTHER_SECRET is not set'],
    ]);
  });

  it('a credential cannot be declared as a health secret', async () => {
    const root = await project({ 'environments/staging.yaml': `${STAGING_ENV}secrets: [GITHUB_TOKEN]\n` });
    const problems = await loadProblems(root, { env: ENV });
    expect(problems).toContainEqual(expect.objectContaining({ code: 'E_CONFIG_SECRET_IS_CREDENTIAL', line: 4 }));
  });

  it('an undeclared variable named like a secret in a check is a warning with the fix', async () => {
    const root = await project({
      'environments/staging.yaml': stagingWith('  - url: /health?k=${API_KEY}\n    headers:\n      X-Pass: ${DB_PASSWORD}\n      X-Region: ${REGION}\n'),
    });
    const { warnings } = await loadProject(root, { env: { API_KEY: 'k-1234', DB_PASSWORD: 'p-1234', REGION: 'eu' } });
    expect(warnings.map((w) => [w.code, w.line, w.hint])).toEqual([
      ['W_CONFIG_UNDECLARED_SECRET', 5, 'add secrets: [API_KEY] to environments/staging.yaml: promote then refuses to run while it is unset and masks its value everywhere'],
      ['W_CONFIG_UNDECLARED_SECRET', 7, 'add secrets: [DB_PASSWORD] to environments/staging.yaml: promote then refuses to run while it is unset and masks its value everywhere'],
    ]);
  });

  it('a body is only sent with POST', async () => {
    const root = await project({ 'environments/staging.yaml': stagingWith('  - url: /health\n    body: hello\n') });
    const problems = await loadProblems(root, { env: ENV });
    expect(problems[0]!.message).toContain('a body is sent only with method: POST');
  });
});
