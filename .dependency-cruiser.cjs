/**
 * The layers of src/, each importing only the ones below it:
 *
 *   cli            argv -> typed options, rendering           src/cli, src/ui
 *   engine         orchestration: workspace, observe, plan,   src/engine
 *                  steps, prepare, manual rollback
 *   services       machine, ledger, verify, notify, runs,     src/{machine,ledger,verify,notify,runs,backup}
 *                  backup
 *   targets        adapters only: local (Miniflare), cloudflare (undici + zx)
 *   base           pure: migrations, config, schema, fleet planning, shared types   src/{migrations,config,wrangler,d1,events,schema,fleet}, errors, problems, private-files
 *
 * Checked by `npm run lint:deps` in CI; test/unit/layering.test.ts proves a
 * deliberately added cycle or upward import fails it.
 */
const LAYERS = [
  ['base', '^src/(migrations|config|wrangler|d1|events|schema|fleet)/|^src/(errors|problems|private-files|atomic-write)\\.ts$'],
  ['targets', '^src/targets/'],
  ['services', '^src/(machine|ledger|verify|notify|runs|backup)/'],
  ['engine', '^src/engine/'],
  ['cli', '^src/(cli|ui)/'],
];

const upward = [];
LAYERS.forEach(([name, path], i) => {
  const higher = LAYERS.slice(i + 1).map(([, p]) => `(${p})`);
  if (higher.length === 0) return;
  upward.push({
    name: `no-upward-from-${name}`,
    comment: `${name} must not import a higher layer (${LAYERS.slice(i + 1).map(([n]) => n).join(', ')})`,
    severity: 'error',
    from: { path },
    to: { path: higher.join('|') },
  });
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles make layers meaningless', from: { path: '^src/' }, to: { circular: true } },
    ...upward,
    {
      name: 'every-module-in-a-layer',
      severity: 'error',
      comment: 'a new folder under src/ must be given a layer above, or it escapes every rule',
      from: { path: '^src/', pathNot: LAYERS.map(([, p]) => `(${p})`).join('|') },
      to: {},
    },
    {
      name: 'runtimes-only-in-targets',
      severity: 'error',
      comment: 'Miniflare and zx are the local and cloudflare adapters: only src/targets/ may import them',
      from: { path: '^src/', pathNot: '^src/targets/' },
      to: { path: 'node_modules/(miniflare|zx)/' },
    },
    {
      name: 'http-only-in-adapters',
      severity: 'error',
      comment:
        'undici is the HTTP adapter of each outside system: the targets, the health-check probe and the Slack client; everything else goes through them',
      from: { path: '^src/', pathNot: '^src/targets/|^src/verify/http-probe\\.ts$|^src/notify/slack/slack-http\\.ts$' },
      // `import type { Dispatcher }` (a test's MockAgent passed through) makes no call.
      to: { path: 'node_modules/undici/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'octokit-only-in-github-adapter',
      severity: 'error',
      comment: 'GitHub is reached through one adapter module',
      from: { path: '^src/', pathNot: '^src/notify/github/github-octokit\\.ts$' },
      to: { path: 'node_modules/@octokit/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    // Not node_modules: excluding it drops every import of a package, and the three package rules above could never fire.
    exclude: { path: '^dist/' },
  },
};
