import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubOctokit } from '../../../src/notify/github/github-octokit.js';
import { buildPlanComment, PLAN_MARKER, postPlanComment, type PlanForComment } from '../../../src/notify/github/plan-comment.js';
import { GitHubApiError } from '../../../src/notify/github/github-api.js';
import { FAKE_GITHUB_TOKEN, startFakeGitHub, type FakeGitHub } from '../../fakes/github-server.js';

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub();
});
afterEach(() => github.close());

const plan: PlanForComment = {
  commit: '0123456789abcdef0123456789abcdef01234567',
  stages: [
    { environment: 'staging', pending: ['0003_add_orders.sql'], drift: [] },
    { environment: 'production', pending: ['0002_x.sql', '0003_add_orders.sql'], drift: [{ name: '0001_init.sql', reason: 'checksum changed' }] },
  ],
  warnings: [{ severity: 'warning', code: 'W_DROP_TABLE', message: 'drops table legacy | old', file: 'migrations/0003_add_orders.sql', line: 4, hint: 'copy the data first' }],
};

const post = (p: PlanForComment) =>
  postPlanComment({ api: createGitHubOctokit({ token: FAKE_GITHUB_TOKEN, baseUrl: github.url }), repository: { owner: 'acme', repo: 'shop' }, issueNumber: 7, plan: p, redact: (t) => t });

describe('sticky plan comment', () => {
  it('renders the plan per environment and the lint warnings under a hidden marker', () => {
    expect(buildPlanComment(plan)).toBe(
      [
        PLAN_MARKER,
        '## promote plan for `0123456789ab`',
        '',
        '| Environment | Pending migrations | Drift |',
        '|---|---|---|',
        '| staging | `0003_add_orders.sql` | none |',
        '| production | `0002_x.sql`<br>`0003_add_orders.sql` | ⚠️ `0001_init.sql`: checksum changed |',
        '',
        '### 1 lint warning',
        '',
        '- `migrations/0003_add_orders.sql:4` **W_DROP_TABLE**: drops table legacy \\| old (fix: copy the data first)',
        '',
        '<sub>Updated by promote on every push; this comment is edited, not repeated.</sub>',
      ].join('\n'),
    );
  });

  it('labels each pending migration expand or contract', () => {
    const body = buildPlanComment({
      stages: [{ environment: 'production', pending: ['0004_tags.sql', '0005_drop_legacy.sql'], drift: [], classes: { '0004_tags.sql': 'expand', '0005_drop_legacy.sql': 'contract' } }],
      warnings: [],
    });
    expect(body).toContain('| production | `0004_tags.sql` expand<br>`0005_drop_legacy.sql` ⚠️ contract | none |');
  });

  it('lists the seeds a stage would apply after its migrations', () => {
    const body = buildPlanComment({ stages: [{ environment: 'dev', pending: ['0004_tags.sql'], drift: [], seeds: ['dev/0001_sample_notes.sql'] }, { environment: 'staging', pending: [], drift: [], seeds: ['all/0001_plans.sql'] }], warnings: [] });
    expect(body).toContain('| dev | `0004_tags.sql`<br>`dev/0001_sample_notes.sql` seed | none |');
    expect(body).toContain('| staging | `all/0001_plans.sql` seed | none |');
  });

  it('creates the comment once, then updates it in place (never a duplicate), past the first page of comments', async () => {
    github.comments.set(7, Array.from({ length: 130 }, (_, i) => ({ id: i + 1, body: `chatter ${i}` })));
    expect(await post(plan)).toEqual({ action: 'created', commentId: expect.any(Number) });
    const next = { ...plan, stages: plan.stages.map((s) => ({ ...s, pending: [] })) };
    const second = await post(next);
    expect(second.action).toBe('updated');
    expect(await post(next)).toEqual({ action: 'unchanged', commentId: second.commentId });
    const ours = github.comments.get(7)!.filter((c) => c.body.includes(PLAN_MARKER));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.id).toBe(second.commentId);
    expect(ours[0]!.body).toBe(buildPlanComment(next));
    const writes = github.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual(['POST /repos/acme/shop/issues/7/comments', `PATCH /repos/acme/shop/issues/comments/${second.commentId}`]);
  });

  it('throws a typed error when GitHub refuses', async () => {
    github.script({ status: 403, body: { message: 'Resource not accessible by integration' } });
    await expect(post(plan)).rejects.toThrow(GitHubApiError);
  });
});
