/**
 * Source of the entry Worker a local environment runs while two versions serve
 * (a gradual rollout), standing where Cloudflare's own router stands: it answers
 * the environment's port and hands each request to one version through a
 * service binding, by the deployment's percentages, unless the request carries
 * `Cloudflare-Workers-Version-Overrides: <script>="<version id>"` naming a version
 * of the current deployment (then that one, as on Cloudflare).
 *
 * The split is deterministic rather than random, so tests and short soaks see
 * the proportions they asked for: an accumulator adds the new version's share
 * per request and sends the request to it each time it passes 100, starting
 * full so the first routed request after a split change reaches the new version.
 *
 * A rollout's next step changes only the percentages: promote posts them to
 * http://promote.router/split with the CONTROL token (random per start, never
 * served) instead of restarting Miniflare, which costs far more than a step should.
 *
 * Bindings: SCRIPT (the override key), VERSIONS (JSON [{ id, binding, percentage }],
 * the new version first), CONTROL, one service binding per version.
 */
export const ROUTER_WORKER_SOURCE = /* js */ `
let acc;
let current;

// A Dictionary Structured Header: key="string" members separated by commas.
function overrideFor(header, script) {
  if (!header) return undefined;
  for (const member of header.split(',')) {
    const m = /^\\s*([a-z*][a-z0-9_.*-]*)\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"\\s*$/i.exec(member);
    if (m && m[1] === script) return m[2].replace(/\\\\(.)/g, '$1');
  }
  return undefined;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.hostname === 'promote.router' && request.headers.get('x-promote-control') === env.CONTROL) {
      current = (await request.json()).versions;
      acc = undefined;
      return Response.json({ success: true, result: current });
    }
    const versions = current || JSON.parse(env.VERSIONS);
    const wanted = overrideFor(request.headers.get('cloudflare-workers-version-overrides'), env.SCRIPT);
    // A version left in the router after the deployment dropped it (gone: true) is not reachable any more.
    let pick = versions.find((v) => v.id === wanted && !v.gone);
    if (!pick) {
      const fresh = versions[0];
      acc = acc === undefined ? 100 - fresh.percentage : acc;
      acc += fresh.percentage;
      if (acc >= 100 && fresh.percentage > 0) {
        acc -= 100;
        pick = fresh;
      } else {
        pick = versions.find((v) => v !== fresh && v.percentage > 0) || fresh;
      }
    }
    return env[pick.binding].fetch(request);
  },
};
`;
