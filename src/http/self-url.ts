import type { FastifyInstance } from 'fastify';

/** This server's own base URL once it listens (http://host:port), for calls a module makes to its own sandbox. */
export function selfBaseUrl(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const name = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

/**
 * The base URL people and partners are sent to: PUBLIC_URL, or this server's own address. Both come from configuration;
 * a request's Host header never does (it would let a caller choose where return URLs and credentials go).
 */
export function publicBaseUrl(app: FastifyInstance, config: { readonly publicUrl: string | undefined; readonly host: string }): string {
  return config.publicUrl ?? selfBaseUrl(app, config.host);
}
