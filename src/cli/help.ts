/** Help text: plain strings, no imports, so `promote --help` stays fast. */
export const HELP = `promote: staging-first promotion of Cloudflare Workers + D1

Usage
  promote --to <env> [--dry-run] [--json]     walk the pipeline up to <env> (dev -> staging -> production)
           [--wait <duration>]                queue behind another run's lock instead of exiting 3
  promote resume [--run <id>]                 finish an interrupted run (the newest by default)
  promote rollback --env <env> [--bookmark <id>]  restore a bookmark and the previous Worker by hand
  promote serve --env <env> [--port <n>]      serve an environment's current Worker (like wrangler dev)
  promote graph [--to <env>] [--json]         the promotion machine as a Mermaid diagram
  promote validate                            check pipeline/, environments/ and migrations/; touches nothing
  promote plan [--to <env>] [--comment] [--json]  pending migrations and lint warnings per environment
  promote status [--env <env>] [--json]       applied / pending / drift per environment and database
  promote migrate --env <env> [--dry-run]     apply pending migrations to one environment (no deploy)
  promote new <slug> [--rollback] [--dir <d>] create the next NNNN_slug.sql (and .rollback.sql)

Global options
  --cwd <dir>     run against the project in <dir> (default: the current folder)
  --json          machine-readable output
  --no-color      no colors (NO_COLOR is honoured too; output is plain when not a TTY)
  -h, --help      this help; 'promote <command> --help' for one command
  -V, --version   print the version
  Durations (--wait, --lock-ttl) take a unit: 500ms, 30s, 2m.

Exit codes
  0 ok   1 failed at run time (after a clean rollback)   2 invalid input (nothing touched)
  3 locked by another run       4 a rollback failed: a person must act   130 interrupted (resume it)
`;

export const COMMAND_HELP: Record<string, string> = {
  validate: `promote validate [--cwd <dir>]

Reads pipeline/pipeline.yaml, environments/*.yaml and every migrations folder, and
reports every problem at once (file:line, what to do). Touches no environment.
Exit 0 when valid (warnings are printed), 2 otherwise.
`,
  plan: `promote plan [--to <env>] [--json] [--comment]

For each stage up to <env> (default: the last), the migrations that would be applied,
drift, and lint warnings. Reads the environments; changes nothing.
--comment also posts the plan as one sticky comment on the pull request (edited on
every push, never repeated). It needs a pull_request workflow run and GITHUB_TOKEN
with pull-requests: write; exit 2 outside a pull request or without a token.
`,
  status: `promote status [--env <env>] [--json]

Applied, pending and drifted migrations per environment and database. An applied
migration whose file changed (checksum) or vanished is drift.
`,
  migrate: `promote migrate --env <env> [--dry-run]

Applies pending migrations to one environment: validated and linted first, then
tried on a scratch copy of the environment's schema (preflight), then applied in
as few transactions as D1 allows, each migration with its ledger row.
--dry-run stops after preflight and prints what would be applied.
Drift (an applied file changed or vanished) is refused with exit 2.
`,
  new: `promote new <slug> [--rollback] [--dir <migrations dir>]

Creates the next NNNN_<slug>.sql (and NNNN_<slug>.rollback.sql with --rollback)
in the migrations folder of the first database (or --dir).
`,
  promote: `promote --to <env> [--dry-run] [--json] [--wait <duration>] [--lock-ttl <duration>]

Walks every stage of pipeline/pipeline.yaml up to <env>. Per stage: preflight, lock,
[bookmark], migrate, deploy, verify, unlock. A stage starts only after the previous
one verified this same change (migration set and Worker build). When migrate, deploy
or verify fails, that stage rolls back by itself (database per rollback.database,
Worker to its previous version), is verified again, and the run exits 1; exit 4 when
the rollback itself fails. Ctrl-C stops at the next safe point, releases the locks
and exits 130: 'promote resume' finishes the run.
--dry-run prints the plan and touches nothing. --json prints one event per line and
a summary last. Durations take a unit: 500ms, 30s, 2m.
`,
  resume: `promote resume [--run <id>]

Continues an interrupted or crashed run from its last recorded step (.promote/runs/).
Every step checks real state first (ledger, serving version, bookmark), so repeating
the step that was in flight is safe. Refused when the files changed since.
`,
  rollback: `promote rollback --env <env> [--bookmark <id>]

By hand what a failed promotion does by itself: the database back to a bookmark (the
newest by default), the Worker back to the version before the current one, then the
health checks. Exit 4 when the environment is not healthy afterwards.
`,
  serve: `promote serve --env <env> [--port <n>]

Serves the environment's current Worker version against its database until Ctrl-C.
`,
  graph: `promote graph [--to <env>] [--json]

Prints the promotion machine built from pipeline/pipeline.yaml as a Mermaid diagram
(--json: one object, the diagram in its mermaid field).
`,
};
