/** Who runs promote, as leases and lock files name it (the CLI computes it once from its settings). */
import { hostname, userInfo } from 'node:os';

/** Who holds a lease, for messages: user@host pid N (and the CI run when there is one). */
export function describeOwner(env: Readonly<Record<string, string | undefined>>): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // containers without a passwd entry
  }
  const ci = env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY ? ` (GitHub Actions ${env.GITHUB_REPOSITORY} run ${env.GITHUB_RUN_ID})` : '';
  return `${user}@${hostname()} pid ${process.pid}${ci}`;
}
