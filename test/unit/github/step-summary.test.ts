import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendStepSummary, buildStepSummary, truncateMarkdown } from '../../../src/notify/github/step-summary.js';
import type { RunEvent } from '../../../src/events/run-events.js';
import { failingHealth, rollbackRun, successRun } from '../notify/runs.js';
import { ctx } from '../slack/slack-fixtures.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const mermaidOf = (md: string) => /```mermaid\n([\s\S]*?)\n```/.exec(md)?.[1] ?? '';
const fences = (md: string) => (md.match(/^```/gm) ?? []).length;

describe('step summary', () => {
  it('shows a successful run: facts, the path taken, one table per stage with checks', () => {
    const md = buildStepSummary(successRun, ctx);
    expect(md.split('\n').slice(0, 5)).toEqual([
      '## ✅ promote: promoted · default → production',
      '',
      '| Run | Commit | Triggered by | Duration | Exit code |',
      '|---|---|---|---|---|',
      `| \`run-20260501-abc\` | [\`0123456\`](${ctx.commitUrl}) | alice via push | 820 ms | 0 |`,
    ]);
    const diagram = mermaidOf(md);
    expect(diagram.split('\n')[0]).toBe('stateDiagram-v2');
    expect(diagram).toContain('  [*] --> s_staging\n');
    expect(diagram).toContain('  s_staging --> s_production\n');
    expect(diagram).toContain('  class s_staging__verify__2 taken');
    expect(diagram).not.toMatch(/class \S+ failed/);
    expect(md).toContain('### ✅ staging: promoted (700 ms)');
    expect(md).toContain('Bookmark `bm-1` · Worker version `v42` (was `v41`) · Migrations: `0002_x.sql`, `0003_y.sql`, `0004_z.sql`');
    expect(md).toContain('| GET /health | https://staging.example.com/health | ✅ passed | 200 | 30 ms | 1 |');
    expect(md).not.toContain('### Rollback');
    expect(fences(md) % 2).toBe(0);
  });

  it('highlights the failing state and tells the rollback story', () => {
    const md = buildStepSummary(rollbackRun, ctx);
    const diagram = mermaidOf(md);
    expect(diagram).toContain('  classDef failed fill:#ffd6d6,stroke:#c92a2a,font-weight:bold');
    expect(diagram).toContain('    s_production__verify__1 : verify ✗');
    expect(diagram).toContain('    s_production__verify__1 --> s_production__rollback__2 : failed');
    expect(diagram).toContain('  class s_production__verify__1 failed');
    expect(diagram).toContain('  class s_staging skipped');
    expect(diagram).toContain('  class s_result__rolled_back failed');
    expect(md).toContain('| GET /health | https://prod.example.com/health | ❌ status 503, expected 200 | 503 | 412 ms | 3 |');
    const story = md.slice(md.indexOf('### Rollback'));
    expect(story).toContain('1. verify failed: GET /health: status 503, expected 200 (3 attempts, 412 ms');
    expect(story).toContain('2. rolled back in 1.2 s: writes after bookmark 00000085-0000-4e5b-8000-00000000abcd are lost');
    expect(story).toContain('> [!WARNING]\n> writes after bookmark 00000085-0000-4e5b-8000-00000000abcd are lost: 1.2 s window.');
  });

  it('shows each rollout step with its split', () => {
    const step = (percentage: number, ok: boolean) => ({ percentage, newVersion: 'v42', oldVersion: 'v41', ok, durationMs: 1500, checks: [ok ? { ...failingHealth, ok: true } : failingHealth] });
    const events = rollbackRun.map((e): RunEvent => (e.type === 'step.failed' && e.step === 'verify' ? { ...e, detail: { ...e.detail, rollout: [step(0, true), step(10, false)] } } : e));
    const md = buildStepSummary(events, ctx);
    expect(md).toContain('| Rollout step | Split | Result | Checks | Duration |');
    expect(md).toContain('| 0% | new `v42` 0% · old `v41` 100% | ✅ passed | 1/1 | 1.5 s |');
    expect(md).toContain('| 10% | new `v42` 10% · old `v41` 90% | ❌ failed | 0/1 | 1.5 s |');
  });

  it('keeps table cells and text from breaking the Markdown', () => {
    const events = structuredClone(rollbackRun);
    const failed = events.find((e) => e.type === 'step.failed')!;
    if (failed.type === 'step.failed') failed.detail!.checks![0]!.name = 'GET /a|b <script>';
    const md = buildStepSummary(events, ctx);
    expect(md).toContain('| GET /a\\|b &lt;script&gt; |');
    expect(md).not.toContain('<script>');
  });

  it('appends within what is left of the 1 MiB and closes an open code block when it must cut', () => {
    dir = mkdtempSync(join(tmpdir(), 'promote-summary-'));
    const file = join(dir, 'summary.md');
    writeFileSync(file, 'earlier step\n');
    appendStepSummary(file, buildStepSummary(rollbackRun, ctx));
    const written = readFileSync(file, 'utf8');
    expect(written.startsWith('earlier step\n## ↩️ promote: rolled back')).toBe(true);

    const huge = `# big\n\`\`\`\n${'é line\n'.repeat(300_000)}\`\`\`\n`;
    const cut = truncateMarkdown(huge, 10_000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10_000);
    expect(fences(cut) % 2).toBe(0);
    expect(cut).toContain('1 MiB step summary limit');
    expect(cut).not.toContain('\uFFFD');

    const limit = statSync(file).size + 5_000;
    appendStepSummary(file, huge, limit);
    expect(statSync(file).size).toBeLessThanOrEqual(limit);
    appendStepSummary(file, huge, limit);
    expect(statSync(file).size).toBeLessThanOrEqual(limit);
  });
});
