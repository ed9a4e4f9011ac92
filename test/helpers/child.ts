import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/store/db.ts';
import { afterAll, beforeAll } from 'vitest';
import { openTestDb, startTolem, testSchema, type Harness } from './harness.ts';

/**
 * `tolem start` as a child process, for tests that kill it with SIGKILL: the store it leaves behind is then opened by
 * the test (and a second instance) exactly as a restarted hub would find it.
 */
export interface ChildTolem {
  child: ChildProcess;
  url: string;
  /** The demo agent's token (the child is always started on a store without a demo agent). */
  token: string;
}

export function startChild(env: Record<string, string>): Promise<ChildTolem> {
  const child = spawn(process.execPath, ['bin/tolem.js', 'start'], {
    cwd: new URL('../..', import.meta.url).pathname,
    // As in the harness: recovery tests take providers down on purpose; provider-circuits tests the breaker.
    env: { ...process.env, PROVIDER_BREAKER_FAILURE_PERCENT: '100', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tolem start did not come up: ${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Tolem is up at (http:\/\/\S+) /.exec(out)?.[1];
      const token = /token \(shown once\): (\S+)/.exec(out)?.[1];
      if (url && token) {
        clearTimeout(timer);
        resolve({ child, url, token });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`tolem start exited with ${code}: ${out}`)));
  });
}

/** Kills the child by its pid with SIGKILL and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGKILL');
  await gone;
}

/** A fresh store for a child: a PGlite directory, or a schema on the PostgreSQL server when DATABASE_URL is set. */
export interface ChildStore {
  schema: string;
  queueSchema: string;
  env: Record<string, string>;
  open(): Promise<Db>;
  remove(): void;
}

export function childStore(): ChildStore {
  const schema = testSchema();
  const dataDir = mkdtempSync(join(tmpdir(), 'tolem-child-'));
  const server = process.env.DATABASE_URL;
  const queueSchema = server ? `${schema}_boss` : 'pgboss';
  return {
    schema,
    queueSchema,
    // TOLEM_DATA on a server too: the admin socket lives there, one per child.
    env: server ? { DATABASE_URL: server, DB_SCHEMA: schema, QUEUE_SCHEMA: queueSchema, TOLEM_DATA: dataDir } : { TOLEM_DATA: dataDir, QUEUE_SCHEMA: queueSchema },
    open: () => (server ? openTestDb(schema) : openDb({ dataDir })),
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * The scene of a crash test: the partners' simulators in a Tolem of their own (so that they outlive the hub being
 * killed), the children the test starts (killed at the end) and its clean-ups (run last first).
 */
export interface CrashScene {
  readonly partners: Harness;
  readonly children: ChildProcess[];
  readonly cleanups: (() => Promise<void>)[];
  /** A hub on the store a killed child left, as a restarted one finds it (closed, store removed, at the end). */
  restartOn(store: ChildStore): Promise<{ db: Db; restarted: Harness }>;
}

export function crashScene(): CrashScene {
  let partners: Harness | undefined;
  const scene: CrashScene = {
    get partners() {
      if (!partners) throw new Error('the crash scene starts in beforeAll');
      return partners;
    },
    children: [],
    cleanups: [],
    async restartOn(store) {
      const db = await store.open();
      const restarted = await startTolem({ db, schema: store.schema, config: { sandboxUrl: `${scene.partners.url}/sandbox`, queueSchema: store.queueSchema } });
      scene.cleanups.push(async () => {
        await restarted.close();
        await db.close();
        store.remove();
      });
      return { db, restarted };
    },
  };
  beforeAll(async () => {
    partners = await startTolem({ jobs: false });
  });
  afterAll(async () => {
    for (const child of scene.children) await killHard(child);
    for (const cleanup of scene.cleanups.reverse()) await cleanup();
    await partners?.close();
  });
  return scene;
}
