import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from './support/app-server';
import { createTestHost, netnsUnavailable, type TestHost } from './support/netns';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`[network.e2e] skipped: ${unavailable}`);

const KEY = 'network e2e access key';

/**
 * The production server as `npm start` runs it, reached from a second host (a network namespace
 * made for the test): without an access key nothing on the network gets in — by default it does
 * not even listen there, and when told to, the jobs API still answers only this machine.
 */
describe.skipIf(unavailable !== null)('reached from another host on the network', () => {
  let neighbour: TestHost;
  const servers: AppServer[] = [];

  beforeAll(async () => {
    neighbour = await createTestHost();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await neighbour?.remove();
  });

  async function start(env: Record<string, string>, host?: string): Promise<AppServer> {
    const server = await startAppServer(env, host === undefined ? {} : { host });
    servers.push(server);
    return server;
  }
  const portOf = (server: AppServer) => new URL(server.baseUrl).port;

  it('does not listen on the network by default without an access key', async () => {
    const server = await start({});
    const url = `http://${neighbour.hostAddress}:${portOf(server)}/api/veo/jobs`;
    expect(await neighbour.fetchFrom(url)).toEqual({ error: 'ECONNREFUSED' });
    // This machine is served.
    expect((await fetch(`${server.baseUrl}/api/veo/jobs`)).status).toBe(200);
  });

  it('answers only this machine without a key even when told to listen everywhere', async () => {
    const server = await start({}, '0.0.0.0');
    const base = `http://${neighbour.hostAddress}:${portOf(server)}`;
    const list = await neighbour.fetchFrom(`${base}/api/veo/jobs`);
    expect(list).toMatchObject({ status: 503 });
    expect('body' in list && JSON.parse(list.body)).toMatchObject({
      error: { code: 'access_not_configured' },
    });
    const put = await neighbour.fetchFrom(`${base}/api/veo/jobs/from-the-lan`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jobId: 'from-the-lan',
        createdAt: new Date().toISOString(),
        updatedAt: Date.now(),
        data: {},
      }),
    });
    expect(put).toMatchObject({ status: 503 });
    const clear = await neighbour.fetchFrom(`${base}/api/veo/jobs`, { method: 'DELETE' });
    expect(clear).toMatchObject({ status: 503 });
    // A page on another site whose name resolves to this machine (DNS rebinding) stays out too.
    // (node:http, because fetch always sends the Host of its URL.)
    const rebinding = await new Promise<number>((resolve, reject) => {
      const call = http.request(
        {
          host: '127.0.0.1',
          port: portOf(server),
          path: '/api/veo/jobs',
          method: 'DELETE',
          headers: {
            host: `evil.example:${portOf(server)}`,
            origin: `http://evil.example:${portOf(server)}`,
            'sec-fetch-site': 'same-origin',
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      call.on('error', reject);
      call.end();
    });
    expect(rebinding).toBe(503);
    // Nothing the neighbour sent was written; this machine still gets in.
    const local = await fetch(`http://127.0.0.1:${portOf(server)}/api/veo/jobs`);
    expect(local.status).toBe(200);
    expect(((await local.json()) as { jobs: { jobId: string }[] }).jobs).toEqual([]);
  });

  it('with an access key, serves the network behind sign-in, counting guesses by their real address', async () => {
    const server = await start({ VEO_ACCESS_KEY: KEY });
    const base = `http://${neighbour.hostAddress}:${portOf(server)}`;
    expect(await neighbour.fetchFrom(`${base}/api/veo/jobs`)).toMatchObject({ status: 401 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const answer = await neighbour.fetchFrom(`${base}/api/veo/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
        body: JSON.stringify({ key: `wrong guess ${i}` }),
      });
      statuses.push('status' in answer ? answer.status : 0);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The owner, on this machine, is not locked out by the neighbour's guesses.
    const owner = await fetch(`${server.baseUrl}/api/veo/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY }),
    });
    expect(owner.status).toBe(200);
  });
});
