/**
 * The system's chromium (Debian's `chromium` package; .ci/run installs it) driven by
 * playwright-core: no browser download, the same binary a person has.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { BIN, REPO } from './project.js';

export const ARTIFACTS = join(REPO, 'test', 'artifacts');

function chromiumPath(): string {
  const fromEnv = process.env.PROMOTE_TEST_CHROMIUM;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('no chromium on PATH: apt-get install -y chromium (.ci/run does), or set PROMOTE_TEST_CHROMIUM');
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: root ? ['--no-sandbox'] : [] });
}

export function artifact(name: string): string {
  return join(ARTIFACTS, name);
}

export interface UiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `promote ui` as a person starts it, on a free loopback port; resolves once it prints its URL. */
export function startUi(root: string, extra: string[] = []): Promise<UiProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'ui', '--cwd', root, '--port', '0', ...extra], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', WRANGLER_SEND_METRICS: 'false', GITHUB_ACTIONS: '', SLACK_WEBHOOK_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`promote ui printed no URL in 20 s:\n${out}${err}`)), 20_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({
          url,
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`promote ui exited ${code}:\n${out}${err}`));
    });
  });
}

