/**
 * A fleet stage's progress, as the terminal shows it: pure state built from the
 * fleet events and pure rendering (counts, elapsed time and width in, a string
 * out), so the live view, the CI log and the tests all read the same numbers.
 *
 *   TTY: production/TENANTS  [#####.....]  512/1000  ok 508  failed 2  running 16  41.3/s  ETA 12s
 *   CI:  production/TENANTS: 512/1000 done, 2 failed, 16 running, 41/s, ETA 12s
 */
import type { RunEvent } from '../events/run-events.js';

export type FleetRunEvent = Extract<RunEvent, { type: 'fleet-start' | 'tenant' | 'fleet-end' }>;

export interface FleetProgress {
  environment: string;
  binding: string;
  total: number;
  /** applied or unchanged */
  ok: number;
  /** failed or rolled back */
  failed: number;
  skipped: number;
  running: number;
  /** Milliseconds (event time) when the fleet started, and when it ended. */
  startedAt: number;
  endedAt?: number;
  /** Each tenant's last status: a repeated or late event never counts twice. */
  status: Map<string, string>;
}

export function fleetKey(environment: string, binding: string): string {
  return `${environment}/${binding}`;
}

export function asFleetEvent(event: RunEvent): FleetRunEvent | undefined {
  return event.type === 'fleet-start' || event.type === 'tenant' || event.type === 'fleet-end' ? event : undefined;
}

/** Applies one fleet event to the map of fleets (mutates it: a fleet of 10 000 tenants must not be copied per event). */
export function trackFleet(fleets: Map<string, FleetProgress>, event: FleetRunEvent, now: number = timeOf(event.at)): FleetProgress {
  const key = fleetKey(event.environment, event.binding);
  let fleet = fleets.get(key);
  if (!fleet) {
    fleet = { environment: event.environment, binding: event.binding, total: 0, ok: 0, failed: 0, skipped: 0, running: 0, startedAt: now, status: new Map() };
    fleets.set(key, fleet);
  }
  if (event.type === 'fleet-start') {
    fleet.total = event.total;
    fleet.startedAt = now;
  } else if (event.type === 'fleet-end') {
    fleet.endedAt = now;
  } else {
    const before = fleet.status.get(event.tenant);
    if (before !== undefined) count(fleet, before, -1);
    fleet.status.set(event.tenant, event.status);
    count(fleet, event.status, +1);
    // A tenant the runner did not announce in its total still counts.
    fleet.total = Math.max(fleet.total, fleet.status.size);
  }
  return fleet;
}

function count(fleet: FleetProgress, status: string, by: 1 | -1): void {
  if (status === 'running') fleet.running += by;
  else if (status === 'applied' || status === 'unchanged') fleet.ok += by;
  else if (status === 'failed' || status === 'rolled-back') fleet.failed += by;
  else if (status === 'skipped') fleet.skipped += by;
}

export function doneOf(f: Pick<FleetProgress, 'ok' | 'failed' | 'skipped'>): number {
  return f.ok + f.failed + f.skipped;
}

/** Tenants finished per second since the fleet started; undefined before a second's worth of evidence. */
export function rateOf(done: number, elapsedMs: number): number | undefined {
  if (done === 0 || elapsedMs <= 0) return undefined;
  return done / (elapsedMs / 1000);
}

export function formatEta(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

interface Figures {
  label: string;
  done: number;
  rate?: string;
  eta?: string;
}

function figures(f: FleetProgress, now: number, decimals: number): Figures {
  const done = doneOf(f);
  const elapsed = (f.endedAt ?? now) - f.startedAt;
  const rate = rateOf(done, elapsed);
  const left = Math.max(0, f.total - done);
  return {
    label: fleetKey(f.environment, f.binding),
    done,
    ...(rate !== undefined ? { rate: `${rate.toFixed(rate < 10 ? Math.max(1, decimals) : decimals)}/s` } : {}),
    ...(f.endedAt !== undefined ? { eta: `took ${formatEta(elapsed)}` } : rate !== undefined ? { eta: `ETA ${formatEta((left / rate) * 1000)}` } : {}),
  };
}

/**
 * The live line, never wider than `width` columns: the bar takes what the figures
 * leave (8 to 30 cells), and goes first when even a short bar does not fit.
 */
export function renderProgressBar(f: FleetProgress, now: number, width: number): string {
  const { label, done, rate, eta } = figures(f, now, 1);
  const parts = [`${done}/${f.total}`, `ok ${f.ok}`, `failed ${f.failed}`, ...(f.skipped > 0 ? [`skipped ${f.skipped}`] : []), `running ${f.running}`, rate, eta].filter(Boolean);
  // Two spaces between figures read best; one when that buys room for the bar.
  for (const gap of ['  ', ' ']) {
    const tail = parts.join(gap);
    const room = width - label.length - tail.length - 2 * gap.length - 2;
    if (room < MIN_BAR) continue;
    const cells = Math.min(MAX_BAR, room);
    const filled = f.total === 0 ? cells : Math.min(cells, Math.floor((done / f.total) * cells));
    return `${label}${gap}[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}]${gap}${tail}`;
  }
  return cut(`${label} ${parts.join(' ')}`, width);
}

/** The CI line: no bar, no control sequence, whole rates. */
export function renderProgressLine(f: FleetProgress, now: number): string {
  const { label, done, rate, eta } = figures(f, now, 0);
  const parts = [`${done}/${f.total} done`, `${f.failed} failed`, ...(f.skipped > 0 ? [`${f.skipped} skipped`] : []), `${f.running} running`, rate, eta].filter(Boolean);
  return `${label}: ${parts.join(', ')}`;
}

export interface PlainCadence {
  /** Print at least this often while tenants finish (ms of event time). */
  everyMs: number;
  /** And at each step of this fraction of the fleet (0.1: every 10%). */
  everyFraction: number;
}

export const DEFAULT_CADENCE: PlainCadence = { everyMs: 10_000, everyFraction: 0.1 };

/** Whether the CI log is due another progress line, given when and at what count it printed the last. */
export function plainLineDue(f: FleetProgress, last: { at: number; done: number }, now: number, cadence: PlainCadence = DEFAULT_CADENCE): boolean {
  const done = doneOf(f);
  if (done === last.done) return false;
  if (done >= f.total) return true;
  const step = Math.max(1, Math.ceil(f.total * cadence.everyFraction));
  return Math.floor(done / step) > Math.floor(last.done / step) || now - last.at >= cadence.everyMs;
}

const MIN_BAR = 8;
const MAX_BAR = 30;

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function timeOf(at: string): number {
  const t = Date.parse(at);
  return Number.isNaN(t) ? Date.now() : t;
}

/**
 * The CI log's progress lines: fed every event, it answers the line to print
 * when one is due (every 10% of a fleet or every N seconds of event time while
 * tenants finish), else undefined. Event time, so a replayed journal prints the same log.
 */
export function createPlainFleetProgress(cadence: PlainCadence = DEFAULT_CADENCE): { observe(event: RunEvent): { environment: string; line: string } | undefined } {
  const fleets = new Map<string, FleetProgress>();
  const printed = new Map<string, { at: number; done: number }>();
  return {
    observe(raw) {
      const event = asFleetEvent(raw);
      if (!event) return undefined;
      const now = timeOf(event.at);
      const fleet = trackFleet(fleets, event, now);
      const key = fleetKey(event.environment, event.binding);
      if (event.type === 'fleet-start') printed.set(key, { at: now, done: 0 });
      if (event.type !== 'tenant' || event.status === 'running') return undefined;
      const last = printed.get(key) ?? { at: fleet.startedAt, done: 0 };
      if (!plainLineDue(fleet, last, now, cadence)) return undefined;
      printed.set(key, { at: now, done: doneOf(fleet) });
      return { environment: event.environment, line: renderProgressLine(fleet, now) };
    },
  };
}
