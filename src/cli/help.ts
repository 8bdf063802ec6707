/** Help text: plain strings, no imports, so `promote --help` stays fast. */
export const HELP = `promote: staging-first promotion of Cloudflare Workers + D1

Usage
  promote --to <env> [--dry-run] [--json]     walk the pipeline up to <env> (dev -> staging -> production)
           [--wait <duration>]                queue behind another run's lock instead of exiting 3
           [--shard <i>/<n>] [--report <file>]  one slice of every fleet; the outcome as a JSON report
  promote resume [--run <id>]                 finish an interrupted run (the newest by default)
  promote rollback --env <env> [--bookmark <id>]  restore a bookmark and the previous Worker by hand
  promote rollback --env <env> --to <NNNN>  undo the migrations above NNNN with their rollback files
  promote serve --env <env> [--port <n>]      serve an environment's current Worker (like wrangler dev)
  promote graph [--to <env>] [--json]         the promotion machine as a Mermaid diagram
  promote validate                            check pipeline/, environments/ and migrations/; touches nothing
  promote plan [--to <env>] [--comment] [--json]  pending migrations and lint warnings per environment
  promote status [--env <env>] [--json]       applied / pending / drift / schema per environment and database
           [--html <file>] [--no-schema]      the same as one self-contained HTML page (a CI artifact)
  promote diff --env <a> [--env <b>] [--json] two environments' live schemas, or one against its migrations
  promote ui [--port <n>] [--host <h>]        read-only dashboard in the browser: matrix, health, runs, live
  promote migrate --env <env> [--dry-run]     apply pending migrations to one environment (no deploy)
           [--to <NNNN>]                      only up to and including NNNN
  promote new <slug> [--rollback] [--dir <d>] create the next NNNN_slug.sql (and .rollback.sql)
  promote new --revert <NNNN> [--dir <d>]     draft NNNN's rollback file from the schema before and after it
  promote baseline --env <env> [--through <NNNN>] [--database <b>] [--dry-run]
                                              record what a database built without promote already has
  promote backup --env <env> [--out <path>]  a SQL dump of each database (ledger inside), proven by a restore
  promote backup verify <file> [--env <env>]  restore a backup on a scratch database and compare (exit 1 naming what differs)
  promote repair --env <env> | --all          record renamed files (and --accept-checksum <file>) in the ledger
  promote repair --retire <name> [--dir <d>]  record that an applied migration's file was removed on purpose
  promote init                                write pipeline/ and environments/ from wrangler's config
  promote report --merge <file>...            one summary and exit code from the reports of a matrix of shards

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

Reads pipeline/pipeline.yaml, environments/*.yaml, every migrations folder and seeds/, and
reports every problem at once (file:line, what to do). Touches no environment.
Exit 0 when valid (warnings are printed), 2 otherwise.
`,
  plan: `promote plan [--to <env>] [--json] [--comment]

For each stage up to <env> (default: the last), the migrations and seeds that would
be applied, drift, and lint warnings. Reads the environments; changes nothing.
--comment also posts the plan as one sticky comment on the pull request (edited on
every push, never repeated). It needs a pull_request workflow run and GITHUB_TOKEN
with pull-requests: write; exit 2 outside a pull request or without a token.
`,
  status: `promote status [--env <env>] [--json] [--html <file>] [--no-schema]

Applied, pending and drifted migrations per environment and database, and its seeds
(applied, pending, changed since applied). An applied migration whose file changed
(checksum) or vanished is drift.
Each database's live schema is compared with the replay of its applied migrations
on a scratch database (cached in .promote/cache/ by the ledger's content): "schema:
matches", or the differences someone made by hand. --no-schema skips that check.
--html also writes the matrix (migrations x environments) as one self-contained
HTML file, e.g. for a CI artifact.
`,
  diff: `promote diff --env <a> [--env <b>] [--json]

With one --env: each database's live schema against the schema its applied migrations
build (what status reports as schema drift). With two: the two environments' live
schemas, database by database (matched by binding). Objects matching
migrations.schemaIgnore are left out. Reads only; exit 0 whether or not they differ.
`,
  ui: `promote ui [--port <n>] [--host 127.0.0.1] [--token <secret>]

A read-only dashboard on http://127.0.0.1:7420/: migrations x environments, each
environment's health (checks run on demand), Worker versions and last bookmark, the
run history with each run's path and rollback story, the plan for a target, and a
live view of a running promotion. It never changes an environment; it shows the
command to run instead. Binding anything but loopback needs --token; every request
must then carry it (?token=<secret> or Authorization: Bearer). Reading a local
environment takes its lock for a moment: a promotion started meanwhile without
--wait may exit 3.
`,
  migrate: `promote migrate --env <env> [--to <NNNN>] [--dry-run]

Applies pending migrations to one environment: validated and linted first, then
tried on a scratch copy of the environment's schema (preflight), then applied in
as few transactions as D1 allows, each migration with its ledger row; then the
environment's pending seeds (seeds/all/, then seeds/<env>/), each with its row in
promote_seeds, preflighted with the migrations.
--to <NNNN> applies only the pending files up to and including NNNN (a file's
number; one that names no file, or lies beyond the newest, is exit 2); seeds wait
while a migration stays pending above it.
--dry-run stops after preflight and prints what would be applied.
Drift (an applied file changed or vanished) is refused with exit 2.
`,
  new: `promote new <slug> [--rollback] [--dir <migrations dir>]
promote new --revert <NNNN> [--dir <migrations dir>]

Creates the next NNNN_<slug>.sql in migrations/ (or --dir <folder>), and with
--rollback its rollback file in <folder>/rollback/, where wrangler never looks.

--revert <NNNN> writes <folder>/rollback/NNNN_slug.rollback.sql as a draft to
review: the migrations are replayed on a scratch database (no environment
needed) and the schema before and after NNNN compared. What NNNN created is
dropped, what it dropped is recreated, renames are undone, and a changed table
is rebuilt from its old definition with its rows copied. The header lists the
data that cannot come back. An existing rollback file is never overwritten (exit 2).
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
Cloudflare calls share one rate limit per run (PROMOTE_API_RATE_LIMIT, default 1200/5m):
a run waits for the window rather than collect 429s; with --wait, a wait longer than
<duration> stops the run instead (exit 1; resume it later).
`,
  resume: `promote resume [--run <id>]

Continues an interrupted or crashed run from its last recorded step (.promote/runs/).
Every step checks real state first (ledger, serving version, bookmark), so repeating
the step that was in flight is safe. Refused when the files changed since.
`,
  rollback: `promote rollback --env <env> [--bookmark <id>]
promote rollback --env <env> --to <NNNN> [--lock-ttl <duration>]

By hand what a failed promotion does by itself: the database back to a bookmark (the
newest by default), the Worker back to the version before the current one, then the
health checks. Exit 4 when the environment is not healthy afterwards.

--to <NNNN> instead undoes, newest first, every migration applied above NNNN with its
rollback file (migrations/rollback/NNNN_slug.rollback.sql), each together with the
removal of its ledger rows in one transaction, under the environment's lock; the
Worker is left as it serves; then the health checks (exit 4 when they fail). 0000
undoes every migration. Refused with exit 2, naming them, when any of them has no
rollback file (nothing is undone then). The undos are tried on a scratch copy of the
schema first: a rollback file that fails there is exit 2 with its file:line. One that
fails only on the real data stops it there, its batch unchanged (exit 4). Interrupted,
the same command continues with what is still applied. --to and --bookmark are one
or the other.
`,
  backup: `promote backup --env <env> [--database <binding>] [--out <path>]
promote backup verify <file> [--env <env>]

promote backup writes a SQL dump of each database of <env> (the ledger tables
inside it), one file per database: .promote/backups/<env>/<run>-<binding>.sql, or
--out: a file when one database is dumped, a folder otherwise. local: read through
D1 in one transaction; cloudflare: D1's export API. The first line (an SQL comment)
records the schema fingerprint and every table's row count at the time of the dump.
Each file is restored on a scratch database and checked before the command ends.
Files are readable by their owner only: they hold every row.

promote backup verify restores <file> on a scratch database and compares its schema
and row counts with the source database (--env, while it still has the dump's
schema) or else with the numbers in the file's header. Exit 0 when they agree, 1
naming every table that differs, 2 when the file is not a promote backup.
`,
  baseline: `promote baseline --env <env> [--database <binding>] [--through <NNNN>] [--dry-run]

For a database that has schema but no (or a partial) ledger: applied by hand, or by
another tool (a _migrations table, drizzle-orm's __drizzle_migrations, wrangler under
another migrations_table). The migrations are replayed once on a scratch database and
the live schema is compared with each prefix. When it equals one (the longest, or what
the other tool's ledger claims, or exactly --through), the prefix is recorded in the
ledger (wrangler's table, so wrangler agrees) and promote's metadata, marked baseline,
in one transaction. Otherwise exit 2 with the closest prefix and the differences, and
nothing is written. Never changes schema or data; another tool's table is left as it is.
--dry-run prints what would be recorded.
`,
  repair: `promote repair --env <env> | --all [--accept-checksum <file>]... [--dry-run]
promote repair --retire <name> [--dir <migrations dir>]

Makes the ledger describe what the team changed on purpose; never touches schema or data.
--env/--all: a renamed or renumbered file (same checksum as applied, or for a file wrangler
applied, same name after the number and its objects present) is recorded under its new name,
in wrangler's d1_migrations and promote's metadata in one transaction, so promote and wrangler
both see it applied. --accept-checksum records the current checksum of an applied file that
was edited on purpose (printed before it is recorded). Takes the environment lock. A rename
whose contents differ, or any other drift, is refused (exit 2) and nothing is written.
--retire records in <dir>/.retired (commit it) that an applied migration's file was removed on
purpose: validate accepts the gap, status shows it as retired.
`,
  report: `promote report --merge <file>... [--json]

Joins the reports (--report, or .promote/reports/ of a sharded run) of one run set into
one summary: counts per environment and database, and every failed tenant by name.
The sharded reports must all have the same shard count and each shard 1..n exactly
once: a missing shard is refused, naming it. An unsharded report (the job that ran
the single-database stages) may be merged beside them.
Exit 0 when every database and tenant applied or was unchanged, 1 when any failed,
rolled back or a run ended non-zero, 2 when a file is not a report or a shard is missing.
`,
  init: `promote init [--cwd <dir>]

Writes pipeline/pipeline.yaml and environments/*.yaml from the project's wrangler config:
a local first stage on wrangler's own local state (.wrangler/state/v3), then one cloudflare
environment per env.<name> block (development/dev, staging, production first), their D1
databases, a bookmark on the last stage and a commented /health check. Never overwrites a file.
`,
  serve: `promote serve --env <env> [--port <n>]

Serves the environment's current Worker version against its database until Ctrl-C.
`,
  graph: `promote graph [--to <env>] [--json]

Prints the promotion machine built from pipeline/pipeline.yaml as a Mermaid diagram
(--json: one object, the diagram in its mermaid field).
`,
};
