import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { startTolem, testConfig, type Harness } from '../helpers/harness.ts';

/** Failed console logins are slowed like the agent API's: per address and per login, 429 with Retry-After. */
let h: Harness;

beforeAll(async () => {
  h = await startTolem({ config: { authThrottle: { ...testConfig().authThrottle, maxFailures: 3, windowMs: 60_000 } } });
  await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login: 'guarded', password: 'the right one', role: 'viewer' });
});
afterAll(async () => h?.close());

const login = (password: string) => fetch(`${h.url}/api/admin/v1/session`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'guarded', password }),
});

describe('admin login throttle', () => {
  it('after the allowed failures even the right password waits', async () => {
    for (let i = 0; i < 3; i += 1) expect((await login('wrong password')).status).toBe(401);
    const blocked = await login('wrong password');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.json()).toMatchObject({ error: { code: 'throttled' } });
    expect((await login('the right one')).status).toBe(429);
  });
});
