/**
 * Agents' registries over the admin API on a real port: an operator uploads a day's CSV (201 with the figures), a
 * viewer lists but may not upload, a cabinet user's session reaches its own agent only, a bad file is a 400 in the
 * API's JSON format with the line, even when the hub answers before it has read the rest of a large file; the
 * OpenAPI document names the route's text/csv body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { newAgent, startTolem, type Harness } from '../helpers/harness.ts';

let h: Harness;
let base: string;
let agentA: { id: bigint };
let agentB: { id: bigint };

interface Answer { status: number; body: any }

class Client {
  cookie = '';
  csrf = '';
  async call(method: string, path: string, body?: string | Uint8Array | ReadableStream, contentType = 'application/json'): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': contentType } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}) },
      ...(body !== undefined ? { body, duplex: 'half' } : {}),
    } as RequestInit);
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  upload(agentId: bigint, day: string, csv: string | ReadableStream): Promise<Answer> {
    return this.call('POST', `/agents/${agentId}/registries?day=${day}`, csv, 'text/csv');
  }
}

async function operator(login: string, role: 'admin' | 'operator' | 'viewer'): Promise<Client> {
  await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login, password: `${login} password`, role });
  const client = new Client();
  const answer = await client.call('POST', '/session', JSON.stringify({ login, password: `${login} password` }));
  expect(answer.status).toBe(200);
  client.csrf = answer.body.csrfToken;
  return client;
}

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  base = `${h.url}/api/admin/v1`;
  agentA = await newAgent(h.db, { name: 'Agent A' });
  agentB = await newAgent(h.db, { name: 'Agent B' });
}, 60_000);
afterAll(async () => h?.close());

const CSV = 'agentTransactionId,transactionId,amount,state\r\n1001,,1500.00,succeeded\r\n1001,,1500.00,succeeded\r\n1002,,20.50,failed\r\n';

describe('admin API: agents\' registries', () => {
  it('stores an operator\'s upload and lists it, newest first; a viewer lists but may not upload', async () => {
    const ops = await operator('reg-ops', 'operator');
    const first = await ops.upload(agentA.id, '2026-11-21', CSV);
    expect(first).toMatchObject({ status: 201, body: { registry: { agentId: agentA.id.toString(), day: '2026-11-21', source: 'admin_api', uploadedBy: 'reg-ops', lineCount: 3, totalMinor: '302050' } } });
    expect(first.body.registry.id).toMatch(/^\d+$/);
    const second = await ops.upload(agentA.id, '2026-11-21', 'agentTransactionId,amount\n1001,1500.00\n');
    expect(second.status).toBe(201);
    const viewer = await operator('reg-viewer', 'viewer');
    const listed = await viewer.call('GET', `/agents/${agentA.id}/registries`);
    expect(listed.status).toBe(200);
    expect(listed.body.registries.map((r: { id: string }) => r.id)).toEqual([second.body.registry.id, first.body.registry.id]);
    expect(await viewer.upload(agentA.id, '2026-11-21', CSV)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await new Client().upload(agentA.id, '2026-11-21', CSV)).status).toBe(401);
  });

  it('refuses a bad file with the line in the API\'s JSON error, and a bad day, agent or body', async () => {
    const ops = await operator('reg-ops2', 'operator');
    const bad = await ops.upload(agentA.id, '2026-11-22', 'agentTransactionId,amount\n1,1.00\n2,"12,5"\n');
    expect(bad).toEqual({ status: 400, body: { error: { code: 'bad_registry', message: 'line 3: amount "12,5" is not an amount (digits with a point, e.g. 1500.00)' } } });
    expect(await ops.upload(agentA.id, '2026-13-01', CSV)).toMatchObject({ status: 400, body: { error: { code: 'bad_day' } } });
    expect(await ops.upload(agentA.id, 'yesterday', CSV)).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await ops.upload(999_999n, '2026-11-22', CSV)).toMatchObject({ status: 404, body: { error: { code: 'agent_not_found' } } });
    expect(await ops.call('POST', `/agents/${agentA.id}/registries?day=2026-11-22`, JSON.stringify({ csv: CSV }))).toMatchObject({ status: 400, body: { error: { code: 'unsupported_media_type' } } });
    expect(await ops.call('POST', `/agents/${agentA.id}/registries?day=2026-11-22`, '', 'text/csv')).toMatchObject({ status: 400 });
    // curl's --data-binary without a Content-Type sends a form's type: refused in the API's words, naming text/csv.
    expect(await ops.call('POST', `/agents/${agentA.id}/registries?day=2026-11-22`, CSV, 'application/x-www-form-urlencoded'))
      .toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type', message: expect.stringContaining('text/csv') } } });
    // A charset parameter is the same type.
    expect(await ops.upload(agentA.id, '2026-11-24', CSV).then(() => ops.call('POST', `/agents/${agentA.id}/registries?day=2026-11-24`, CSV, 'text/csv; charset=utf-8'))).toMatchObject({ status: 201 });
    expect((await ops.call('GET', `/agents/${agentA.id}/registries`)).body.registries.every((r: { day: string }) => r.day !== '2026-11-22')).toBe(true);
  });

  it('answers a refusal at line 2 of a large file before reading the rest, and stores a large file streamed', { timeout: 120_000 }, async () => {
    const ops = await operator('reg-ops3', 'operator');
    const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => `${from + i},1.00\n`).join('');
    const streamOf = (head: string, chunks: number) => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(new TextEncoder().encode(head));
          if (sent >= chunks) return controller.close();
          controller.enqueue(new TextEncoder().encode(lines(sent * 10_000 + 1, 10_000)));
          sent += 1;
        },
      });
    };
    const refused = await ops.upload(agentA.id, '2026-11-23', streamOf('agentTransactionId,amount\nX,1.00\n', 30));
    expect(refused).toEqual({ status: 400, body: { error: { code: 'bad_registry', message: 'line 2: agentTransactionId "X" is not 1-18 digits' } } });
    const stored = await ops.upload(agentA.id, '2026-11-23', streamOf('agentTransactionId,amount\n', 10));
    expect(stored).toMatchObject({ status: 201, body: { registry: { lineCount: 100_000, totalMinor: '10000000' } } });
  });

  it('lets a cabinet user\'s session upload and list its own agent\'s registries, never another agent\'s', async () => {
    await createAgentUser(h.db, agentB.id, { login: 'bob-reg', password: 'agent password 1' }, h.tolem.ctx.clock);
    const cabinet = await h.tolem.ctx.admin.sessions.loginAgentUser('bob-reg', 'agent password 1', { ip: '127.0.0.1', userAgent: null });
    const bob = new Client();
    bob.cookie = `tolem_cabinet=${cabinet!.token}`;
    bob.csrf = cabinet!.csrfToken;
    expect(await bob.upload(agentB.id, '2026-11-21', CSV)).toMatchObject({ status: 201, body: { registry: { agentId: agentB.id.toString(), uploadedBy: 'bob-reg' } } });
    expect((await bob.call('GET', `/agents/${agentB.id}/registries`)).body.registries).toHaveLength(1);
    expect((await bob.call('GET', `/agents/${agentA.id}/registries`)).status).toBe(403);
    expect((await bob.upload(agentA.id, '2026-11-21', CSV)).status).toBe(403);
  });

  it('documents the route with its text/csv body', async () => {
    const doc = (await new Client().call('GET', '/openapi.json')).body;
    const upload = doc.paths['/agents/{agentId}/registries'].post;
    expect(Object.keys(upload.requestBody.content)).toEqual(['text/csv']);
    expect(upload.description).toContain('agent_registries.upload');
    expect(doc.paths['/agents/{agentId}/registries'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['agentId', 'limit']);
  });
});
