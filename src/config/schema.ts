/**
 * The declarative config's contract, as zod schemas. The JSON Schema in schemas/
 * is generated from these (npm run schema) so editors autocomplete the same shape
 * the loader enforces. Objects are strict: an unknown key is a typo until proven
 * otherwise, and the loader turns it into a "did you mean" error.
 */
import { z } from 'zod';
import { createSlackNotifySchema } from './slack-config.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration written as milliseconds (number) or with a unit: "250ms", "5s", "2m". Output: ms. */
export const Duration = z
  .union([
    z.number().nonnegative(),
    z.string().regex(DURATION, 'expected a duration like 500ms, 5s or 2m'),
  ])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const [, n, unit] = DURATION.exec(v)!;
    return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  });

const Name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected lower-case letters, digits, - or _ (it is also a file name)');

const Binding = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a JavaScript identifier such as DB (the Worker binding name)');

const VariableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable, such as HEALTH_TOKEN');

/**
 * Variables this environment's health checks may interpolate besides plain ones (a token the
 * health endpoint wants). Each must be set and non-empty before anything runs, and its value is
 * masked in everything promote prints, writes or sends. Credentials promote itself uses
 * (CLOUDFLARE_API_TOKEN, GITHUB_TOKEN, Slack's) can never be listed: see credential-rules.ts.
 */
const Secrets = z.array(VariableName).optional();

export const RollbackDatabasePolicy = z.enum(['time-travel', 'down-migrations', 'auto', 'none']);

export const StageSchema = z.strictObject({
  /** Name of a file environments/<environment>.yaml. */
  environment: Name,
  /** Take a D1 Time Travel bookmark immediately before migrating this stage. */
  bookmark: z.boolean().default(false),
  /**
   * Dump every database of this stage (local: through D1; cloudflare: D1's export API) to
   * .promote/backups/<env>/, restore it on a scratch database to prove it, then migrate.
   */
  backup: z.boolean().default(false),
});

export const PipelineSchema = z.strictObject({
  name: z.string().min(1),
  stages: z.array(StageSchema).min(1, 'a pipeline needs at least one stage'),
  rollback: z
    .strictObject({
      database: RollbackDatabasePolicy.default('time-travel'),
    })
    .default({ database: 'time-travel' }),
  migrations: z
    .strictObject({
      /** Numbering gaps (0001, 0003) are errors unless allowed here. */
      allowGaps: z.boolean().default(false),
      /**
       * A database whose live schema differs from the replay of its applied migrations (someone
       * changed it by hand): `refuse` stops a promotion before anything is touched, `warn` lets it
       * through and says so in every sink.
       */
      schemaDrift: z.enum(['refuse', 'warn']).default('refuse'),
      /** Objects left out of the schema comparison (globs on the object's name, e.g. a Worker's run-time tables: "cache_*"). */
      schemaIgnore: z.array(z.string().min(1)).default([]),
    })
    .default({ allowGaps: false, schemaDrift: 'refuse', schemaIgnore: [] }),
  /** Where a promotion reports besides the terminal and the run journal. */
  notify: z
    .strictObject({
      slack: createSlackNotifySchema(Duration).optional(),
      /**
       * GitHub Deployments, one per stage, when GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_SHA are set
       * (the step summary, outputs and annotations need nothing and are always written in Actions).
       */
      github: z
        .strictObject({
          /** false: no Deployments (for a token without deployments: write). */
          deployments: z.boolean().default(true),
          /**
           * Prepended to the stage name for the GitHub environment. A job with `environment: production`
           * makes GitHub create a deployment of its own there; the prefix keeps the two apart. '' to share it.
           */
          environmentPrefix: z.string().default('promote/'),
        })
        .optional(),
    })
    .optional(),
});

export const HealthCheckSchema = z.strictObject({
  /** Relative to the environment's Worker URL, or absolute. */
  url: z.string().min(1),
  name: z.string().optional(),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  /** Request body, sent with method POST. */
  body: z.string().optional(),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).default(200),
      /** Subset match against the JSON body. */
      json: z.unknown().optional(),
      maxLatency: Duration.optional(),
    })
    .default({ status: 200 }),
  timeout: Duration.default(5000),
  retries: z.number().int().min(0).max(100).default(2),
  consecutive: z.number().int().min(1).max(1000).default(1),
  soak: Duration.default(0),
  /**
   * During a gradual rollout, send this check to one version (with the Cloudflare-Workers-Version-Overrides
   * header) instead of letting the split pick one. Without a rollout it has no effect.
   */
  version: z.enum(['new', 'old']).optional(),
}).superRefine((check, ctx) => {
  if (check.body !== undefined && check.method !== 'POST') {
    ctx.addIssue({ code: 'custom', path: ['body'], message: `a body is sent only with method: POST (this check uses ${check.method})` });
  }
});

/**
 * Percentages of traffic the new Worker version serves, step by step: ascending,
 * each 0..100, ending at 100 (a rollout that stops short would leave two versions serving).
 */
const RolloutSteps = z
  .array(z.number().int('expected a whole percentage').min(0).max(100))
  .min(1, 'a rollout needs at least one step')
  .superRefine((steps, ctx) => {
    steps.forEach((p, i) => {
      if (i > 0 && p <= steps[i - 1]!) ctx.addIssue({ code: 'custom', path: [i], message: `steps must ascend: ${p} follows ${steps[i - 1]}` });
    });
    if (steps.at(-1) !== 100) ctx.addIssue({ code: 'custom', path: [steps.length - 1], message: `the last step must be 100 (got ${steps.at(-1)}), so the new version ends up serving everything` });
  });

/** Health-gated gradual deployment: at every step the health checks must pass for `soak`. */
export const RolloutSchema = z.strictObject({
  steps: RolloutSteps,
  soak: Duration.default(0),
});

/**
 * A fleet: one binding, many tenant databases (one per customer), all sharing the binding's
 * migrations folder and ledger shape. Each tenant is migrated with its own lock and ledger, as a
 * single database is; see src/fleet/ and src/engine/fleet-stage.ts.
 */
const FleetTenantId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a database id or name (letters, digits, - _ .)');

function fleetSchema(target: 'local' | 'cloudflare') {
  return z
    .strictObject({
      /** File of tenant database ids (or names), one a line, relative to the project root. */
      source: z.string().min(1).optional(),
      /** Cloudflare only: every D1 database of the account whose name matches this glob (`*` any run of characters). */
      match: z.string().min(1).optional(),
      /** Migrated (and the environment's health checks run) before any other tenant starts: ids of the fleet, or a percentage such as "2%". */
      canary: z
        .union([z.array(FleetTenantId), z.string().regex(/^(\d+(?:\.\d+)?)%$/, 'expected a percentage such as 2% or a list of tenant ids')])
        .default([]),
      /** Tenants migrated at once after the canaries. */
      concurrency: z.number().int().min(1).max(256).default(8),
      /**
       * Tenant failures tolerated: once more than this many tenants failed, no new tenant starts (those
       * in flight finish; the rest are skipped). Default 0: the first failure stops new starts.
       */
      maxFailures: z.number().int().min(0).default(0),
    })
    .superRefine((f, ctx) => {
      if (f.match !== undefined && target === 'local') {
        ctx.addIssue({
          code: 'custom',
          path: ['match'],
          message: "fleet.match lists a Cloudflare account's D1 databases; a local environment has no account to list",
          params: { hint: 'list the tenants in a file, one id a line, and set fleet.source: tenants.txt' },
        });
      } else if ((f.source === undefined) === (f.match === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: f.source === undefined ? [] : ['match'],
          message: f.source === undefined ? 'a fleet needs its tenants: set fleet.source (a file, one id a line) or fleet.match (a name pattern)' : 'set fleet.source or fleet.match, not both',
        });
      }
    });
}

export const LocalFleetSchema = fleetSchema('local');
export const CloudflareFleetSchema = fleetSchema('cloudflare');

export const LocalDatabaseSchema = z.strictObject({
  binding: Binding,
  /** Folder of NNNN_slug.sql files, relative to the project root. */
  migrations: z.string().min(1).default('migrations'),
  /**
   * As wrangler's migrations_pattern: a glob that starts with the migrations folder, e.g.
   * "migrations/*\/migration.sql" for drizzle-kit's folder per migration. Default: <migrations>/*.sql.
   */
  migrations_pattern: z.string().min(1).optional(),
  /** Id Miniflare persists this database under. Default: the wrangler config's database_id for this binding, else the binding. */
  database_id: z.string().min(1).optional(),
  /** Ledger table, as wrangler's migrations_table. */
  migrations_table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('d1_migrations'),
  /** Many tenant databases under this binding instead of one: each a D1 database in the environment's Miniflare. */
  fleet: LocalFleetSchema.optional(),
});

export const LocalWorkerSchema = z.strictObject({
  main: z.string().min(1),
  compatibility_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').optional(),
  compatibility_flags: z.array(z.string()).optional(),
  vars: z.record(z.string(), z.string()).optional(),
  /** Fixed loopback port; default: a free one. */
  port: z.number().int().min(0).max(65535).optional(),
  rollout: RolloutSchema.optional(),
});

/**
 * Two entries with one binding would give the Worker one name for two databases. The issue
 * carries its own problem code and where the first entry is; zod-problems.ts turns it into
 * E_CONFIG_DUPLICATE_BINDING with both lines.
 */
function uniqueBindings(databases: readonly { binding: string }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  databases.forEach((db, i) => {
    const j = first.get(db.binding);
    if (j === undefined) {
      first.set(db.binding, i);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: [i, 'binding'],
      message: `binding ${db.binding} is listed twice (databases[${j}] and databases[${i}])`,
      params: { code: 'E_CONFIG_DUPLICATE_BINDING', duplicateOf: [j, 'binding'] },
    });
  });
}

export const LocalEnvironmentSchema = z.strictObject({
  target: z.literal('local'),
  /**
   * Where Miniflare persists this environment (relative to the project root).
   * Default .promote/envs/<name>. Point it at .wrangler/state/v3 to share
   * wrangler's local state, so `wrangler d1 execute DB --local` sees the same database.
   */
  state: z.string().min(1).optional(),
  databases: z.array(LocalDatabaseSchema).superRefine(uniqueBindings).default([]),
  worker: LocalWorkerSchema.optional(),
  secrets: Secrets,
  health: z.array(HealthCheckSchema).default([]),
});

/**
 * How migrations reach a remote D1: `query` (one /query request per chunk), `import` (D1's import
 * flow, as `wrangler d1 execute --file --remote`), or `auto`: import for chunks /query is known to
 * mangle (multi-line triggers) or that run long, else query.
 */
export const D1Transport = z.enum(['auto', 'query', 'import']);

export const CloudflareDatabaseSchema = z.strictObject({
  /** A binding of the wrangler config's env.<name>.d1_databases. */
  binding: Binding,
  transport: D1Transport.default('auto'),
  /** Many tenant databases under this binding: their ids from a file, or the account's databases by name. */
  fleet: CloudflareFleetSchema.optional(),
});

export const CloudflareEnvironmentSchema = z.strictObject({
  target: z.literal('cloudflare'),
  wrangler: z.strictObject({
    /** The env.<name> block of the wrangler config. */
    env: z.string().min(1),
    /** Default: wrangler.jsonc, wrangler.json or wrangler.toml in the project root. */
    config: z.string().min(1).optional(),
  }),
  worker: z
    .strictObject({
      /** Base URL that relative health check URLs resolve against. */
      url: z.url().optional(),
      rollout: RolloutSchema.optional(),
    })
    .optional(),
  /** The same as `backup: true` on this environment's stage (kept from before stages had it). */
  backup: z.boolean().default(false),
  secrets: Secrets,
  /** Per-database settings; the databases themselves come from the wrangler config's env.<name>.d1_databases. */
  databases: z.array(CloudflareDatabaseSchema).superRefine(uniqueBindings).default([]),
  health: z.array(HealthCheckSchema).default([]),
});

export const EnvironmentSchema = z.discriminatedUnion('target', [
  LocalEnvironmentSchema,
  CloudflareEnvironmentSchema,
]);

export type Pipeline = z.output<typeof PipelineSchema>;
export type GitHubNotifyConfig = NonNullable<NonNullable<Pipeline['notify']>['github']>;
export type Stage = z.output<typeof StageSchema>;
export type HealthCheck = z.output<typeof HealthCheckSchema>;
export type Rollout = z.output<typeof RolloutSchema>;

/** The environment's gradual rollout, when it has one. */
export function rolloutOf(env: Environment): Rollout | undefined {
  return env.worker?.rollout;
}

/** Whether a stage backs up before migrating: its own `backup: true`, or the cloudflare environment file's. */
export function stageBacksUp(stage: Pick<Stage, 'backup'> | undefined, env: Environment | undefined): boolean {
  return Boolean(stage?.backup) || (env?.target === 'cloudflare' && env.backup);
}
export type Environment = z.output<typeof EnvironmentSchema>;
export type LocalEnvironment = z.output<typeof LocalEnvironmentSchema>;
export type CloudflareEnvironment = z.output<typeof CloudflareEnvironmentSchema>;
export type LocalDatabase = z.output<typeof LocalDatabaseSchema>;
/** A fleet entry as either target loads it (local's never has `match`). */
export type FleetConfig = z.output<typeof CloudflareFleetSchema>;

export interface LoadedEnvironment {
  /** The file name without .yaml. */
  name: string;
  /** Relative to the project root: environments/<name>.yaml */
  file: string;
  config: Environment;
}

export interface Project {
  /** Absolute path of the project root (--cwd). */
  root: string;
  pipelineFile: string;
  pipeline: Pipeline;
  /** Every environment file, keyed by name. */
  environments: Map<string, LoadedEnvironment>;
}
