/**
 * The admin API on a Unix socket (`ADMIN_SOCKET`, by default tolem.sock in the data directory), for the CLI while the
 * hub runs: only the admin routes are served on it, its caller is the local administrator, and the file's mode (0600,
 * the owner only) is the authorization, as PostgreSQL's and Docker's sockets do. A socket file left by a crashed run
 * answers no connection and is replaced; one that answers belongs to a running Tolem, and this one refuses to start.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import type { AdminServices } from '../engine/admin-services.ts';
import { adminApiRoutes } from './plugin.ts';

export const ADMIN_PREFIX = '/api/admin/v1';

/** Whether something accepts connections on the socket at `path` (within `timeoutMs`). */
export function socketAnswers(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export class SocketInUseError extends Error {}

async function clearStale(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new SocketInUseError(`${path} exists and is not a socket; refusing to replace it (set ADMIN_SOCKET)`);
  if (await socketAnswers(path)) throw new SocketInUseError(`another Tolem serves the admin API on ${path}`);
  unlinkSync(path); // a crashed run's socket: nobody listens on it any more
}

/** Serves the admin API on the socket; `close()` stops it and removes the file. */
export async function listenAdminSocket(path: string, services: AdminServices, log: Logger): Promise<{ close(): Promise<void> }> {
  mkdirSync(dirname(path), { recursive: true });
  await clearStale(path);
  const app = Fastify({ loggerInstance: log.child({ module: 'admin-socket' }), bodyLimit: 64 * 1024 });
  await app.register(adminApiRoutes, { prefix: ADMIN_PREFIX, services, mode: 'socket' });
  // The umask covers the moment between bind and chmod, when the file would otherwise be open to the group.
  const previous = process.umask(0o177);
  try {
    await app.listen({ path });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  return {
    async close() {
      await app.close();
      if (existsSync(path)) unlinkSync(path);
    },
  };
}
