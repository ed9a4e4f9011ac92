import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FAULT_FIELDS, faultStore, registerFaultRoutes, rollFault, rollScopedFault } from '../../../src/sandbox/faults.ts';

describe('the dice', () => {
  it('a zero rate never hits and never asks the random source; rate 1 always hits', () => {
    let asked = 0;
    const random = () => ((asked += 1), 0);
    expect(rollFault(0, random)).toBe(false);
    expect(asked).toBe(0);
    expect(rollFault(1, () => 0.999)).toBe(true);
    expect(rollFault(0.5, () => 0.5)).toBe(false);
    expect(rollFault(0.5, () => 0.49)).toBe(true);
  });

  it('scoped: only the listed methods, and a budget that hits spend', () => {
    const faults = { methods: ['Pay'], times: 2 as number | null };
    expect(rollScopedFault(faults, 1, 'GetAccount', () => 0)).toBe(false);
    expect(rollScopedFault(faults, 1, 'Pay', () => 0)).toBe(true);
    expect(rollScopedFault(faults, 1, 'Pay', () => 0)).toBe(true);
    expect(rollScopedFault(faults, 1, 'Pay', () => 0)).toBe(false);
    expect(faults.times).toBe(0);
  });
});

describe('the fault routes', () => {
  async function app(options: { textBody?: boolean } = {}) {
    const server = Fastify();
    let faults = { latencyMs: 0, http500Rate: 0, dedupe: true };
    const schema = z.object({ latencyMs: FAULT_FIELDS.latencyMs, http500Rate: FAULT_FIELDS.http500Rate, dedupe: FAULT_FIELDS.dedupe }).partial().strict();
    if (options.textBody) {
      server.removeAllContentTypeParsers();
      server.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    }
    registerFaultRoutes(server, '/faults', faultStore(() => faults, (next) => (faults = next)), { control: {}, schema, postAlias: true, ...options });
    return server;
  }

  it('GET reads, PUT merges, POST is an alias, DELETE resets to the values at mount', async () => {
    const server = await app();
    expect((await server.inject({ method: 'PUT', url: '/faults', payload: { http500Rate: 0.5 } })).json()).toEqual({ latencyMs: 0, http500Rate: 0.5, dedupe: true });
    expect((await server.inject({ method: 'POST', url: '/faults', payload: { dedupe: false } })).json()).toMatchObject({ http500Rate: 0.5, dedupe: false });
    expect((await server.inject({ method: 'GET', url: '/faults' })).json()).toEqual({ latencyMs: 0, http500Rate: 0.5, dedupe: false });
    expect((await server.inject({ method: 'DELETE', url: '/faults' })).json()).toEqual({ latencyMs: 0, http500Rate: 0, dedupe: true });
  });

  it('refuses a rate outside 0..1, an unknown field and broken JSON with 400', async () => {
    const server = await app({ textBody: true });
    expect((await server.inject({ method: 'PUT', url: '/faults', payload: '{"http500Rate":2}' })).statusCode).toBe(400);
    expect((await server.inject({ method: 'PUT', url: '/faults', payload: '{"nope":1}' })).statusCode).toBe(400);
    expect((await server.inject({ method: 'PUT', url: '/faults', payload: '{"latencyMs":' })).statusCode).toBe(400);
    expect((await server.inject({ method: 'PUT', url: '/faults', payload: '' })).statusCode).toBe(200);
  });
});
