/**
 * Failed logins at /console and /cabinet are slowed like the agent API's tokens: after AUTH_THROTTLE_MAX_FAILURES
 * failures the address (and the login) is blocked for a while, a right password included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { newAgent, startTolem, testConfig, type Harness } from '../helpers/harness.ts';
import { PanelClient } from '../helpers/panel.ts';

let h: Harness;
const PASSWORD = 'throttle password';

beforeAll(async () => {
  h = await startTolem({ jobs: false, config: { authThrottle: { ...testConfig().authThrottle, maxFailures: 3, windowMs: 60_000 } } });
  await createOperator(h.db, { login: 'olga', password: PASSWORD, role: 'operator' }, h.tolem.ctx.clock);
  await createAgentUser(h.db, (await newAgent(h.db)).id, { login: 'alice', password: PASSWORD }, h.tolem.ctx.clock);
}, 60_000);
afterAll(async () => h?.close());

describe('failed logins are slowed', () => {
  for (const [prefix, login] of [['/console', 'olga'], ['/cabinet', 'alice']] as const) {
    it(`${prefix}: blocks after the allowed failures, a right password too`, async () => {
      const client = new PanelClient(h.url, prefix);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await client.login(login, 'wrong password')).status);
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses[3]).toBe(429);
      const right = await client.login(login, PASSWORD);
      expect(right.status).toBe(429);
      expect(client.cookies.has(prefix === '/console' ? 'tolem_console' : 'tolem_cabinet')).toBe(false);
    });
  }
});
