/**
 * How the CLI reaches the admin API: over the running hub's Unix socket when one answers (the hub keeps its store,
 * PGlite or PostgreSQL, and the CLI never opens it), or else over the store directly, through the very same routes
 * mounted in this process (Fastify's inject) — one code path for every command either way, the caller always `local`.
 */
import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { createLogger } from '../app.ts';
import { configuredClock, type Config } from '../config.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { Catalog, readCatalogSeed, seedCatalog } from '../engine/catalog.ts';
import { buildProviderRegistry } from '../providers/registry.ts';
import { PaymentEngine } from '../engine/payments.ts';
import { createAdminServices } from '../engine/admin-services.ts';
import { openSecretBox } from '../engine/secrets.ts';
import { adminApiRoutes } from '../admin/plugin.ts';
import { AlsecoProviderAdapter } from '../providers/alseco/index.ts';
import { ADMIN_PREFIX, socketAnswers } from '../admin/socket.ts';

export interface AdminAnswer {
  status: number;
  body: any;
}

export interface AdminConnection {
  /** `socket`: through the running hub; `store`: this process opened the store. */
  via: 'socket' | 'store';
  call(method: string, path: string, body?: unknown): Promise<AdminAnswer>;
  /** A call whose body is a file sent as it is read (an agent's registry, text/csv), never held whole in memory. */
  upload(method: string, path: string, contentType: string, file: string): Promise<AdminAnswer>;
  close(): Promise<void>;
}

/** An admin refusal as the CLI prints it: the API's own message. */
export class AdminRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function connectAdmin(config: Config): Promise<AdminConnection> {
  if (config.adminSocket && (await socketAnswers(config.adminSocket))) return socketConnection(config.adminSocket);
  return storeConnection(config);
}

function socketConnection(path: string): AdminConnection {
  return {
    via: 'socket',
    call: (method, url, body) => new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ socketPath: path, method, path: `${ADMIN_PREFIX}${url}`, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    }),
    upload: (method, url, contentType, file) => new Promise((resolve, reject) => {
      const req = request({ socketPath: path, method, path: `${ADMIN_PREFIX}${url}`, headers: { 'content-type': contentType, 'content-length': statSync(file).size } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      });
      // The hub may answer a refused file (a bad line) before it has read all of it: the answer counts, not the cut.
      req.on('error', reject);
      const stream = createReadStream(file);
      stream.on('error', (error) => req.destroy(error));
      stream.pipe(req);
    }),
    close: async () => undefined,
  };
}

function answer(status: number, text: string): AdminAnswer {
  try {
    return { status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status, body: { error: { code: 'not_json', message: text.slice(0, 200) } } };
  }
}

async function storeConnection(config: Config): Promise<AdminConnection> {
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema });
  let app: FastifyInstance | undefined;
  try {
    app = await mountAdmin(db, config);
  } catch (error) {
    await db.close();
    throw error;
  }
  const mounted = app;
  return {
    via: 'store',
    async call(method, url, body) {
      const response = await mounted.inject({ method: method as 'GET', url: `${ADMIN_PREFIX}${url}`, ...(body !== undefined ? { payload: body as object } : {}) });
      return answer(response.statusCode, response.body);
    },
    async upload(method, url, contentType, file) {
      const response = await mounted.inject({ method: method as 'POST', url: `${ADMIN_PREFIX}${url}`, headers: { 'content-type': contentType }, payload: createReadStream(file) });
      return answer(response.statusCode, response.body);
    },
    async close() {
      await mounted.close();
      await db.close();
    },
  };
}

/** The admin routes over a store this process opened; no job workers: the running hub's sweep drives what changes. */
async function mountAdmin(db: Db, config: Config): Promise<FastifyInstance> {
  await migrate(db);
  await db.tx((q) => seedCatalog(q, readCatalogSeed(config.catalogFile)));
  const clock = configuredClock(config);
  const log = createLogger({ logLevel: 'warn' });
  const catalog = new Catalog(db);
  const engine = new PaymentEngine(db, catalog, { get: () => undefined }, config.engine, log, undefined, clock);
  // With ALSECO_URL unset, reconciliation asks the simulator of a running Tolem (SANDBOX_URL, or HOST:PORT).
  const alseco = new AlsecoProviderAdapter(config.alseco, () => config.sandboxUrl ?? `http://${config.host}:${config.port}/sandbox`);
  const services = createAdminServices(db, {
    clock, engine, catalog, sessionTimeouts: config.sessions, reconciliationSource: (name) => (name === 'alseco' ? alseco : undefined),
    // The routes a service may be given: the registry's adapters, named without reaching any of them.
    providerNames: buildProviderRegistry(config.alseco, () => '', clock).names(),
    secrets: openSecretBox(config, log),
  });
  const app = Fastify({ loggerInstance: log });
  await app.register(adminApiRoutes, { prefix: ADMIN_PREFIX, services, mode: 'socket' });
  await app.ready();
  return app as unknown as FastifyInstance;
}
