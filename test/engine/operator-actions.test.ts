import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configureAgent, confirmAgentToken, createAgentAudited, decideHeldPayment, issueAgentToken, resolveAttentionItem, revokeAgentToken, setAgentIpAllow,
} from '../../src/engine/operator-actions.ts';
import { listAudit, verifyAuditChain } from '../../src/engine/audit.ts';
import type { Actor } from '../../src/engine/sessions.ts';
import { agentApi, num, startTolem, type Harness } from '../helpers/harness.ts';

/** The audited operator actions on a running Tolem: each change and its audit entry commit together. */
let h: Harness;
const actor: Actor = { principal: { kind: 'operator', id: 1n, login: 'ops', role: 'admin' }, ip: '192.0.2.7' };
const cabinet = (agentId: bigint): Actor => ({ principal: { kind: 'agent_user', id: 9n, login: 'cab', agentId }, ip: '192.0.2.8' });

beforeAll(async () => {
  h = await startTolem();
});
afterAll(async () => h?.close());

const body = (id: number, amount: string) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

describe('operator actions', () => {
  it('a cabinet token is pending until an operator confirms it; then it pays; revoked it stops', async () => {
    const clock = h.tolem.ctx.clock;
    const { agent } = await createAgentAudited(h.db, actor, { name: 'Cabinet', currency: 'KZT', openingBalanceMinor: 10_000_00n, issueToken: false }, clock);
    await expect(issueAgentToken(h.db, cabinet(agent.id), agent.id, { confirm: true }, clock)).rejects.toMatchObject({ code: 'needs_operator' });
    const issued = await issueAgentToken(h.db, cabinet(agent.id), agent.id, { confirm: false }, clock);
    expect(issued.status).toBe('pending');
    const api = agentApi(h.url, issued.token);
    expect(num((await api('pay', body(1, '100.00'))).body.result)).not.toBe('0');
    expect((await confirmAgentToken(h.db, actor, issued.id, clock)).changed).toBe(true);
    expect((await confirmAgentToken(h.db, actor, issued.id, clock)).changed).toBe(false);
    expect(num((await api('pay', body(2, '100.00'))).body.result)).toBe('0');
    expect((await revokeAgentToken(h.db, actor, issued.id, clock)).token.status).toBe('revoked');
    expect(num((await api('pay', body(3, '100.00'))).body.result)).not.toBe('0');
    const audit = await listAudit(h.db, { targetKind: 'token', targetId: String(issued.id) });
    expect(audit.entries.map((e) => [e.action, e.actorLogin])).toEqual([['tokens.revoke', 'ops'], ['tokens.confirm', 'ops'], ['tokens.issue', 'cab']]);
    expect(JSON.stringify(audit.entries, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(issued.token);
    await expect(confirmAgentToken(h.db, actor, 987_654n, clock)).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('settings and the allow-list change with before and after recorded; bad values are refused', async () => {
    const clock = h.tolem.ctx.clock;
    const { agent } = await createAgentAudited(h.db, actor, { name: 'Configured', currency: 'KZT', openingBalanceMinor: 1_000_00n }, clock);
    const changed = await configureAgent(h.db, actor, agent.id, { overdraftMinor: -500_00n, notificationMinor: 200_00n }, clock);
    expect(changed).toMatchObject({ overdraftMinor: -500_00n, notificationMinor: 200_00n });
    await expect(configureAgent(h.db, actor, agent.id, { overdraftMinor: 2_000_00n }, clock)).rejects.toMatchObject({ code: 'below_new_floor' });
    expect((await setAgentIpAllow(h.db, actor, agent.id, ['10.0.0.0/8', '2001:db8::/32'], clock)).ipAllow).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    await expect(setAgentIpAllow(h.db, actor, agent.id, ['not an address'], clock)).rejects.toMatchObject({ code: 'bad_cidr' });
    const [entry] = (await listAudit(h.db, { action: 'agents.configure', targetId: String(agent.id) })).entries;
    expect(entry!.before).toMatchObject({ overdraftMinor: '0' });
    expect(entry!.after).toMatchObject({ overdraftMinor: '-50000', notificationMinor: '20000' });
  });

  it('a 153 hold is approved once; attention items need a note; the chain holds', async () => {
    const clock = h.tolem.ctx.clock;
    const { agent, token } = await createAgentAudited(h.db, actor, { name: 'Held', currency: 'KZT', openingBalanceMinor: 10_000_00n, reviewAboveMinor: 100_00n, confirmToken: true }, clock);
    const api = agentApi(h.url, token!);
    expect(num((await api('pay', body(1, '500.00'))).body.result)).toBe('153');
    const [held] = (await h.tolem.ctx.engine.underReview()).filter((p) => p.agentId === agent.id);
    const approved = await decideHeldPayment(h.tolem.ctx.engine, actor, held!.transactionId, 'approve', 'documents seen', clock);
    expect(approved.state).toBe('accepted');
    await expect(decideHeldPayment(h.tolem.ctx.engine, actor, held!.transactionId, 'reject', 'late', clock)).rejects.toMatchObject({ code: 'not_held' });
    await expect(decideHeldPayment(h.tolem.ctx.engine, actor, 123n, 'reject', 'late', clock)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(resolveAttentionItem(h.db, actor, 1n, ' ', clock)).rejects.toMatchObject({ code: 'no_note' });
    await expect(resolveAttentionItem(h.db, actor, 999_999n, 'done', clock)).rejects.toMatchObject({ kind: 'not_found' });
    expect((await listAudit(h.db, { action: 'reviews.approve' })).entries).toHaveLength(1);
    expect((await verifyAuditChain(h.db)).ok).toBe(true);
  });
});
