import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from './api-client.js';
import { startFakeCloudflare, type FakeCloudflare } from './server.js';

let fake: FakeCloudflare;
let dbUuid: string;

beforeAll(async () => {
  fake = await startFakeCloudflare();
  ({ uuid: dbUuid } = await fake.addDatabase('w-db'));
});
afterAll(() => fake?.close());

function upload(method: 'PUT' | 'POST', path: string, code: string, bindings: unknown[] = [], annotations?: Record<string, string>) {
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-04-01', bindings, ...(annotations ? { annotations } : {}) }));
  form.set('index.js', new Blob([code], { type: 'application/javascript+module' }), 'index.js');
  return fetch(`${fake.url}${path}`, { method, headers: { authorization: `Bearer ${fake.token}` }, body: form }).then(async (r) => ({ status: r.status, body: (await r.json()) as { result: Record<string, unknown>; errors: { code: number; message: string }[] } }));
}

describe('workers scripts, versions and deployments over the API', () => {
  const scripts = () => `/accounts/${fake.accountId}/workers/scripts`;

  it('PUT creates the script with a version deployed at 100%; versions and deployments list newest first', async () => {
    const put = await upload('PUT', `${scripts()}/api-worker`, 'export default {}', [{ type: 'd1', name: 'DB', id: dbUuid }, { type: 'secret_text', name: 'KEY', text: 'one' }]);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const v1 = put.body.result.deployment_id as string;
    expect(fake.activeVersion('api-worker')).toBe(v1);

    const v2res = await upload('POST', `${scripts()}/api-worker/versions`, 'export default { fetch() {} }', [{ type: 'inherit', name: 'DB' }, { type: 'inherit', name: 'KEY' }], { 'workers/tag': 't2' });
    expect(v2res.status).toBe(200);
    const v2 = v2res.body.result.id as string;
    expect(v2res.body.result).toMatchObject({ number: 2, annotations: { 'workers/tag': 't2' }, resources: { bindings: [{ type: 'd1', name: 'DB', id: dbUuid }, { type: 'secret_text', name: 'KEY' }] } });
    expect(JSON.stringify(v2res.body.result)).not.toContain('one');
    // Uploaded, not deployed.
    expect(fake.activeVersion('api-worker')).toBe(v1);

    const versions = await callApi<{ items: { id: string }[] }>(fake, 'GET', `${scripts()}/api-worker/versions?deployable=true`);
    expect(versions.body.result.items.map((v) => v.id)).toEqual([v2, v1]);

    const deploy = await callApi(fake, 'POST', `${scripts()}/api-worker/deployments`, { body: { strategy: 'percentage', versions: [{ version_id: v2, percentage: 100 }], annotations: { 'workers/message': 'go' } } });
    expect(deploy.status).toBe(200);
    const deployments = await callApi<{ deployments: { versions: { version_id: string }[]; annotations: Record<string, string> }[] }>(fake, 'GET', `${scripts()}/api-worker/deployments`);
    expect(deployments.body.result.deployments.map((d) => d.versions[0]!.version_id)).toEqual([v2, v1]);
    expect(deployments.body.result.deployments[0]!.annotations).toEqual({ 'workers/message': 'go' });
  });

  it('rejects bad deployments: unknown version, percentages not adding to 100', async () => {
    const unknown = await callApi(fake, 'POST', `${scripts()}/api-worker/deployments`, { body: { strategy: 'percentage', versions: [{ version_id: 'nope', percentage: 100 }] } });
    expect(unknown.status).toBe(400);
    const v = fake.activeVersion('api-worker')!;
    const split = await callApi(fake, 'POST', `${scripts()}/api-worker/deployments`, { body: { strategy: 'percentage', versions: [{ version_id: v, percentage: 50 }] } });
    expect(split.status).toBe(400);
    const missing = await callApi(fake, 'GET', `${scripts()}/no-such-worker/deployments`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]?.code).toBe(10007);
  });

  it('a secret change makes a new deployed version; rolling back across it needs force (code 10220)', async () => {
    const before = fake.activeVersion('api-worker')!;
    const put = await callApi(fake, 'PUT', `${scripts()}/api-worker/secrets`, { body: { name: 'KEY', text: 'two', type: 'secret_text' } });
    expect(put.status).toBe(200);
    expect(fake.activeVersion('api-worker')).not.toBe(before);

    const body = { strategy: 'percentage', versions: [{ version_id: before, percentage: 100 }], annotations: { 'workers/message': 'Rollback' } };
    const refused = await callApi(fake, 'POST', `${scripts()}/api-worker/deployments`, { body });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]).toMatchObject({ code: 10220, message: expect.stringContaining('The following secrets have changed: KEY') });
    const forced = await callApi(fake, 'POST', `${scripts()}/api-worker/deployments?force=true`, { body });
    expect(forced.status).toBe(200);
    expect(fake.activeVersion('api-worker')).toBe(before);
  });

  it('refuses a D1 binding to a database the account does not have', async () => {
    const put = await upload('PUT', `${scripts()}/bad-binding`, 'export default {}', [{ type: 'd1', name: 'DB', id: '00000000-0000-4000-8000-000000000000' }]);
    expect(put.status).toBe(400);
    expect(put.body.errors[0]).toMatchObject({ code: 10021, message: 'binding DB of type d1 must have a valid `id` specified' });
    expect(fake.scripts.has('bad-binding')).toBe(false);
  });
});
