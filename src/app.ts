import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { pino, type DestinationStream, type Logger } from 'pino';
import { configuredClock, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import type { Clock } from './domain/clock.ts';
import { openDb, type Db } from './store/db.ts';
import { migrate } from './store/migrate.ts';
import { Catalog, readCatalogSeed, seedCatalog } from './engine/catalog.ts';
import { PaymentEngine } from './engine/payments.ts';
import { ProviderCircuits } from './engine/provider-circuits.ts';
import { exportProofVerdict } from './engine/money-proof.ts';
import { ExchangeJournal } from './engine/exchanges.ts';
import { captureHttpExchanges } from './http/exchange-journal.ts';
import { routableUrl } from './http/routable-url.ts';
import { agentApiProtocol, elsomBillerProtocol, registerInboundCapture } from './http/inbound-capture.ts';
import { engineServices } from './engine/services.ts';
import { createMetrics } from './engine/metrics.ts';
import { watchUnfinishedPayments } from './engine/unfinished-metrics.ts';
import { createJobQueue, QUEUES, type JobQueue } from './jobs/queue.ts';
import { recoveryConfig, ReversalRecovery } from './engine/reversal-recovery.ts';
import type { ProviderRegistry } from './engine/ports.ts';
import { buildProviderRegistry } from './providers/registry.ts';
import { agentApiRoutes } from './gateways/agent-api/routes.ts';
import { agentApiDocs } from './gateways/agent-api/openapi.ts';
import { sandboxProviderRoutes } from './sandbox/providers/routes.ts';
import { createSandboxProviders, type SandboxProviders } from './sandbox/providers/simulator.ts';
import { alsecoSandboxRoutes } from './sandbox/alseco/routes.ts';
import { scheduleDailyReconciliation } from './engine/reconcile.ts';
import { elsomBillerRoutes } from './gateways/elsom-biller/routes.ts';
import { elsomBillerClientRoutes } from './sandbox/elsom-biller-client/routes.ts';
import { checkoutRoutes } from './checkout/routes.ts';
import { checkoutConfig as checkoutSettings } from './checkout/config.ts';
import { Checkout } from './engine/checkout.ts';
import { AssistAcquirer } from './acquiring/assist/index.ts';
import { assistAcquirerConfig } from './acquiring/assist/config.ts';
import { ElsomAcquirer } from './acquiring/elsom-merchant/index.ts';
import { elsomMerchantAcquirerConfig } from './acquiring/elsom-merchant/config.ts';
import { ASSIST_SANDBOX_ACCOUNT, assistSandboxKeys } from './sandbox/assist/keys.ts';
import { ELSOM_MERCHANT_SANDBOX_ACCOUNT } from './sandbox/elsom-merchant/account.ts';
import { publicBaseUrl, selfBaseUrl } from './http/self-url.ts';
import { registerAuthThrottle } from './http/auth-throttle.ts';
import { assistSandboxRoutes } from './sandbox/assist/routes.ts';
import { elsomMerchantSandboxRoutes } from './sandbox/elsom-merchant/routes.ts';
import { consoleRoutes } from './console/routes.ts';
import { consoleServices } from './engine/console-services.ts';
import { cabinetRoutes } from './cabinet/routes.ts';
import { cabinetServices } from './engine/cabinet-services.ts';
import { createAdminServices } from './engine/admin-services.ts';
import { purgeExpiredSessions } from './engine/sessions.ts';
import { adminApiRoutes } from './admin/plugin.ts';
import { KEY_FILE, keyFileOnSharedStore, openSecretBox, type SecretBox } from './engine/secrets.ts';
import { ADMIN_PREFIX, listenAdminSocket } from './admin/socket.ts';

/** Log paths that may carry secrets: never written, whatever a module logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.password', '*.passwordMd5', '*.token',
  '*.otp', '*.cardNumber', '*.pan', '*.cvv', '*.secret',
];

/** A checkout order's token in a path (`/pay/o/…`, `/pay/r/…`, `/pay/return/…`): it opens that order's pages. */
const ORDER_TOKEN_PATH = /^(\/pay\/(?:o|r|return)\/)[^/?#]+/;

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request line (its own serializer's fields), with a checkout order's token masked. */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method, url: request.url.replace(ORDER_TOKEN_PATH, '$1[redacted]'), host: request.host,
    remoteAddress: request.ip, remotePort: request.socket?.remotePort,
  };
}

/** The process's logger; `destination` (default stdout) lets the security suite read what a session wrote. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { req: serializeRequest } };
  return destination ? pino(options, destination) : pino(options);
}

/** What the tests see of a running Tolem: its context, and the provider simulators when they run (test equipment). */
export interface TolemContext extends AppContext {
  sandbox: SandboxProviders | undefined;
}

/** One route of the running server, as registered (the security suite walks every one of them). */
export interface RouteEntry {
  method: string;
  url: string;
}

export interface Tolem {
  app: FastifyInstance;
  ctx: TolemContext;
  /** Every route the plugins registered, HEAD included: what test/security/ checks each new route against. */
  routes: readonly RouteEntry[];
  /** Listens on config.host:config.port (0 = any free port) and returns the base URL. */
  listen(): Promise<string>;
  /** Serves the admin API on a Unix socket too (`tolem start`: config.adminSocket); closed with the rest. */
  listenAdminSocket(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Run the durable job workers (drive, sweep); tests of pure HTTP behaviour may leave them off. */
  jobs?: boolean;
  log?: Logger;
  /** Use this store instead of opening one from config (tests share one per file). */
  db?: Db;
  /** Every "now" of this Tolem; default: the machine's clock, or one started at config.clockStart. */
  clock?: Clock;
}

/**
 * The one build used by `tolem start` and by the tests: a short sequence of steps, each a named function below. A new
 * plugin is one line in the step it belongs to (registerGateways, registerSandboxes), not a change to this sequence.
 */
export async function build(config: Config, options: BuildOptions = {}): Promise<Tolem> {
  const log = options.log ?? createLogger(config);
  const clock = options.clock ?? configuredClock(config);
  const db = await openStore(config, options.db);
  const secrets = openSecretBox(config, log.child({ module: 'secrets' }));
  const selfUrl = new SelfUrl(config);
  const { ctx, providers } = composeContext(config, options, { log, clock, db, secrets }, selfUrl);
  await sealStoredSecrets(ctx);
  const app = await createServer(config, log);
  const routes = routeInventory(app);
  const closeThrottle = await registerAuthThrottle(app, config.authThrottle, log);
  registerOperations(app, ctx);
  await registerGateways(app, ctx);
  const checkout = await registerCheckout(app, ctx);
  await registerOperatorSide(app, ctx);
  await registerSandboxes(app, ctx);
  if (ctx.queue) await startJobs(app, ctx, ctx.queue, providers, checkout);
  return running(app, ctx, { ownsDb: !options.db, closeThrottle, selfUrl, routes });
}

/** Opens the store (unless the caller brought one), brings its schema up to date and seeds the catalog. */
async function openStore(config: Config, given: Db | undefined): Promise<Db> {
  const db = given ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema, poolSize: config.dbPoolMax }));
  await migrate(db);
  await db.tx((q) => seedCatalog(q, readCatalogSeed(config.catalogFile)));
  return db;
}

/** Where the engine reaches the sandbox providers: SANDBOX_URL, or this very server once it listens. */
class SelfUrl {
  private url: string;
  constructor(private readonly config: Config) {
    this.url = config.sandboxUrl ?? `http://${config.host}:${config.port}/sandbox`;
  }
  get(): string {
    return this.url;
  }
  listening(base: string): void {
    if (!this.config.sandboxUrl) this.url = `${base}/sandbox`;
  }
}

/** The engine, its providers, its services and the job queue: everything the plugins are given. */
function composeContext(config: Config, options: BuildOptions, base: Pick<AppContext, 'log' | 'clock' | 'db'> & { secrets: SecretBox }, selfUrl: SelfUrl) {
  const { log, clock, db, secrets } = base;
  const metrics = createMetrics(!options.db);
  const catalog = new Catalog(db);
  const providers = buildProviderRegistry(config.alseco, () => selfUrl.get(), clock, config.hubOffsetMinutes);
  // Every partner exchange of a payment is recorded for its timeline, seen where the HTTP client sends it.
  const exchanges = new ExchangeJournal(db, clock, log.child({ module: 'exchanges' }), { capture: captureHttpExchanges });
  const circuits = new ProviderCircuits(config.providerCircuits, metrics.registry, clock);
  const engine = new PaymentEngine(db, catalog, providers, config.engine, log.child({ module: 'engine' }), metrics, clock, exchanges, circuits);
  const queue = options.jobs === false ? undefined : createJobQueue(db, { schema: config.queueSchema, pollingIntervalSeconds: config.queuePollingSeconds }, log.child({ module: 'jobs' }));
  const sandbox = config.sandbox ? createSandboxProviders(clock, config.hubOffsetMinutes) : undefined;
  const services = engineServices(db, { clock, engine, catalog, tokenCacheMs: config.authCacheMs });
  const admin = createAdminServices(db, {
    clock, engine, catalog, sessionTimeouts: config.sessions, reconciliationSource: (name) => providers.get(name), providerNames: providers.names(), secrets,
    hubOffsetMinutes: config.hubOffsetMinutes,
  });
  exportProofVerdict(metrics.registry, db);
  watchUnfinishedPayments(metrics, db, clock, config.finalBoundMs);
  const ctx: TolemContext = { config, clock, db, log, catalog, engine, metrics, queue, services, admin, sandbox };
  return { ctx, providers };
}

/** Second-factor secrets still in clear (stored before migration 014) are sealed; ones this key cannot open are reported. */
async function sealStoredSecrets(ctx: TolemContext): Promise<void> {
  const { sealed, foreign, foreignKeys } = await ctx.admin.operators.sealClearSecrets();
  const log = ctx.log.child({ module: 'secrets' });
  if (keyFileOnSharedStore(ctx.config)) {
    log.warn({ keyFile: `TOLEM_DATA/${KEY_FILE}` }, 'TOLEM_SECRETS_KEY is unset: second-factor secrets are sealed under this data directory\'s key file; give every instance on this database the same TOLEM_SECRETS_KEY');
  }
  if (sealed > 0) log.info({ sealed }, 'sealed the TOTP secrets stored in clear');
  if (foreign > 0) {
    log.error({ operators: foreign, sealedUnder: foreignKeys }, 'TOTP secrets in the store are sealed under another secrets key: those operators cannot sign in here until TOLEM_SECRETS_KEY is the key of the other instances');
  }
}

async function createServer(config: Config, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log, trustProxy: config.trustProxy, bodyLimit: 1024 * 1024, ...serverLimits(config.http),
    // A malformed escape in a path reaches the plugin of its prefix, which answers in its own protocol (routable-url.ts).
    rewriteUrl: (request) => routableUrl(request.url ?? '/'),
  }) as unknown as FastifyInstance;
  app.server.maxConnections = config.http.maxConnections;
  // One cookie parser for every page: a malformed cookie (`_ga=100%`) is kept as sent, never a thrown URIError.
  await app.register(fastifyCookie);
  answerOutsidePlugins(app);
  return app;
}

/**
 * A request no plugin owns (an unknown path; `/elsom/..`, whose dot segment climbs out of its plugin) is answered in
 * our words, JSON, never in Fastify's (`FST_ERR_CTP_INVALID_JSON_BODY`, "Route POST:/x not found"). Each protocol's
 * plugin keeps its own handlers; these are only the root's, inherited by the plugins that set none (the sandboxes).
 */
function answerOutsidePlugins(app: FastifyInstance): void {
  const send = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
  app.setNotFoundHandler((_request, reply) => send(reply, 404, 'not_found', 'no such path'));
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    return status === 500 ? send(reply, 500, 'internal', 'internal error') : send(reply, status, 'bad_request', 'the request could not be read');
  });
}

/**
 * The route table as the plugins fill it (Fastify's onRoute hook, added before any plugin): the security suite checks
 * every route for its owner check, CSRF and role, so a route added later is covered without a test naming it.
 */
function routeInventory(app: FastifyInstance): RouteEntry[] {
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url ?? route.path });
  });
  return routes;
}

/** Health, readiness and metrics: what an operator's probes and scrapers ask. */
function registerOperations(app: FastifyInstance, ctx: TolemContext): void {
  const { db, metrics } = ctx;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
  // The agents' and the Elsom wallet's requests about a payment, and our answers, join its timeline.
  const { config, engine } = ctx;
  registerInboundCapture(app, [agentApiProtocol('/api/v20'), elsomBillerProtocol(config.elsom.path)], (exchange) => engine.exchanges.recordInbound(exchange));
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ready', store: db.kind };
    } catch {
      return reply.code(503).send({ status: 'not ready' });
    }
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
}

/** The inbound protocols agents and wallets call (one line each). */
async function registerGateways(app: FastifyInstance, ctx: TolemContext): Promise<void> {
  const { config, services } = ctx;
  const authThrottle = config.authThrottle;
  await app.register(agentApiRoutes, { prefix: '/api/v20', services: { ...services, authThrottle, hubOffsetMinutes: config.hubOffsetMinutes } });
  await app.register(agentApiDocs, { prefix: '/docs' });
  app.get('/docs', async (_request, reply) => reply.redirect('/docs/'));
  await app.register(elsomBillerRoutes, { prefix: config.elsom.path, config: config.elsom, services: { ...services, authThrottle } });
}

/** The public checkout at /pay, with the acquirers composed for it. */
async function registerCheckout(app: FastifyInstance, ctx: TolemContext): Promise<Checkout> {
  const { config } = ctx;
  const checkout = await composeCheckout(app, ctx);
  await app.register(checkoutRoutes, {
    prefix: '/pay', checkout, sandbox: config.sandbox, offsetMinutes: config.hubOffsetMinutes,
    publicBase: () => publicBaseUrl(app, config),
  });
  return checkout;
}

/** The operators' side: the admin API, the console at /console and the agents' cabinet at /cabinet. */
async function registerOperatorSide(app: FastifyInstance, ctx: TolemContext): Promise<void> {
  const { config, db, admin, catalog } = ctx;
  const secureCookies = config.publicUrl?.startsWith('https:') ?? false;
  const loginThrottle = config.authThrottle;
  const offsetMinutes = config.hubOffsetMinutes;
  await app.register(adminApiRoutes, { prefix: ADMIN_PREFIX, services: admin, mode: 'http', secureCookies, loginThrottle });
  await app.register(consoleRoutes, { prefix: '/console', services: consoleServices(db, admin, { catalog, queueSchema: config.queueSchema }), secureCookies, loginThrottle, offsetMinutes });
  await app.register(cabinetRoutes, { prefix: '/cabinet', services: cabinetServices(db, admin), secureCookies, loginThrottle, offsetMinutes });
}

/** The partner simulators under /sandbox, with SANDBOX on (one line each). */
async function registerSandboxes(app: FastifyInstance, ctx: TolemContext): Promise<void> {
  const { config, clock, log, sandbox } = ctx;
  if (!config.sandbox) return;
  const controlAllow = config.sandboxControlAllow;
  const publicBase = () => publicBaseUrl(app, config);
  if (sandbox) await app.register(sandboxProviderRoutes, { prefix: '/sandbox', sandbox, controlAllow });
  await app.register(alsecoSandboxRoutes, { prefix: '/sandbox/alseco', bankCode: config.alseco.bankCode, offsetMinutes: config.alseco.offsetMinutes, clock, controlAllow, publicBase });
  await app.register(elsomBillerClientRoutes, { prefix: '/sandbox/elsom-wallet', clock, host: config.host, controlAllow, log, elsom: config.elsom, wallet: config.elsomWallet });
  await app.register(assistSandboxRoutes, { prefix: '/sandbox/assist', clock, controlAllow });
  await app.register(elsomMerchantSandboxRoutes, { prefix: '/sandbox/elsom-merchant', clock, host: config.host, controlAllow, publicBase });
}

/** The durable workers: drives, sweeps, the daily reconciliation and the checkout's keyed steps. */
async function startJobs(app: FastifyInstance, ctx: TolemContext, queue: JobQueue, providers: ProviderRegistry, checkout: Checkout): Promise<void> {
  const { engine, db, log, clock } = ctx;
  engine.useQueue((paymentId, delayMs) => queue.enqueueDrive(paymentId, delayMs));
  await queue.start();
  await queue.workDrive((paymentId) => engine.drive(paymentId));
  await queue.workSweep(async () => void (await engine.sweep()));
  await scheduleDailyReconciliation(queue, db, providers.get('alseco'), log.child({ module: 'reconcile' }), clock);
  // Cancellations whose provider's answer was never recorded (a crash, a lost answer): asked about, then completed or
  // reopened; pg-boss runs each tick once, and the payment's lease keeps two instances from acting on one payment.
  const recovery = new ReversalRecovery(db, engine, clock, log.child({ module: 'reversal-recovery' }), recoveryConfig(ctx.config.engine));
  await queue.schedule(QUEUES.reversalRecovery, '* * * * *', async () => void (await recovery.run()));
  // Housekeeping: sessions past their lifetime are refused on read already; this keeps the table small.
  await queue.schedule('session-purge', '17 * * * *', async () => void (await purgeExpiredSessions(db, clock)));
  // The checkout's keyed steps are wired once the server is ready; every order a restart left unfinished is a step.
  app.addHook('onReady', async () => {
    const enqueue = await queue.keyed(CHECKOUT_STEP_QUEUE, (key) => checkout.step(BigInt(key)));
    checkout.useQueue((orderId, delayMs) => enqueue(orderId.toString(), delayMs));
    await checkout.recoverOpenOrders();
    // And every minute: an order whose step could not be rescheduled (the store failing at that moment) moves on.
    await queue.schedule('checkout-recovery', '* * * * *', async () => void (await checkout.recoverOpenOrders()));
  });
}

/** The running Tolem: listen, and a close whose every step is bounded. */
function running(app: FastifyInstance, ctx: TolemContext, parts: { ownsDb: boolean; closeThrottle: () => Promise<void>; selfUrl: SelfUrl; routes: readonly RouteEntry[] }): Tolem {
  const { config, engine, queue, log, db, admin } = ctx;
  let closed = false;
  let adminSocket: { close(): Promise<void> } | undefined;
  return {
    app,
    ctx,
    routes: parts.routes,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      parts.selfUrl.listening(base);
      // Everything that was left unfinished (a restart, a crash) is driven again now, not at the next sweep.
      if (queue) await engine.sweep();
      return base;
    },
    async listenAdminSocket(path) {
      adminSocket = await listenAdminSocket(path, admin, log);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Each step is bounded: a shutdown that hangs on one part still releases the others (and the process).
      await bounded(app.close(), 10_000, 'HTTP server', log);
      if (adminSocket) await bounded(adminSocket.close(), 5_000, 'admin socket', log);
      // A client that hung up leaves its handler running: let pays and drives finish before the store goes away.
      await engine.drain(10_000);
      if (queue) await bounded(queue.stop(), 15_000, 'job queue', log);
      engine.circuits?.close();
      await bounded(parts.closeThrottle(), 5_000, 'auth throttle store', log);
      if (parts.ownsDb) await bounded(db.close(), 10_000, 'store', log);
    },
  };
}

const CHECKOUT_STEP_QUEUE = 'checkout-step';

/**
 * The checkout and its acquirers: card through Assist, the wallet through Elsom merchant, each with its real
 * credentials from the configuration (config.assist, config.elsomMerchant), or — with the sandbox mounted and none configured — the simulators' accounts on
 * this server. A method without an acquirer is not offered.
 */
async function composeCheckout(app: FastifyInstance, ctx: AppContext): Promise<Checkout> {
  const { config } = ctx;
  const checkoutConfig = checkoutSettings(config.checkout, config.sandbox);
  const self = () => selfBaseUrl(app, config.host);
  const timeoutMs = checkoutConfig.acquirerTimeoutMs;
  const assist = assistAcquirerConfig(config.assist, timeoutMs, config.sandbox
    ? { baseUrl: () => `${self()}/sandbox/assist`, ...ASSIST_SANDBOX_ACCOUNT, publicKeyPem: assistSandboxKeys().publicKeyPem }
    : undefined);
  const elsom = elsomMerchantAcquirerConfig(config.elsomMerchant, timeoutMs, config.sandbox
    ? { baseUrl: () => `${self()}/sandbox/elsom-merchant`, ...ELSOM_MERCHANT_SANDBOX_ACCOUNT }
    : undefined);
  const checkout = new Checkout({
    db: ctx.db, engine: ctx.engine, catalog: ctx.catalog, log: ctx.log.child({ module: 'checkout' }), clock: ctx.clock,
    acquirers: { ...(assist ? { card: new AssistAcquirer(assist) } : {}), ...(elsom ? { elsom: new ElsomAcquirer(elsom) } : {}) },
    timing: checkoutConfig.timing, leaseMs: config.engine.leaseMs,
  });
  await checkout.bootstrap();
  return checkout;
}

/**
 * Node checks header and request timeouts only every `connectionsCheckingInterval` (30 s by default): checked at a
 * quarter of the shorter timeout, a slow client is cut off close to its limit.
 */
function serverLimits(limits: Config['http']) {
  const checkEveryMs = Math.max(50, Math.min(5_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    // Node requires headersTimeout ≤ requestTimeout.
    http: { headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs), connectionsCheckingInterval: checkEveryMs },
  };
}

async function bounded(work: Promise<unknown>, timeoutMs: number, what: string, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeoutMs);
  });
  const outcome = await Promise.race([work.then(() => 'done' as const, (error: unknown) => { log.error({ err: error }, `${what} failed to stop`); return 'done' as const; }), expired]);
  clearTimeout(timer);
  if (outcome === 'expired') log.error({ timeoutMs }, `${what} did not stop in time; going on with the shutdown`);
}
