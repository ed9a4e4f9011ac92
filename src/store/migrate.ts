import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Db } from './db.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface MigrationResult {
  applied: string[];
  current: string | undefined;
}

/**
 * Applies the versioned SQL files in order, each in its own transaction. Several instances starting at once are
 * serialised by an advisory lock, so each file runs exactly once.
 */
export async function migrate(db: Db): Promise<MigrationResult> {
  // Instances starting together must not race on creating the bookkeeping table either.
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock(8420001)');
    await q.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  });
  const files = readdirSync(MIGRATIONS_DIR).filter((name) => /^\d{3}_.+\.sql$/.test(name)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const version = file.replace(/\.sql$/, '');
    const done = await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock(8420001)');
      const seen = await q.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (seen.rowCount > 0) return false;
      for (const statement of splitStatements(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'))) {
        await q.query(statement);
      }
      await q.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      return true;
    });
    if (done) applied.push(version);
  }
  return { applied, current: files.at(-1)?.replace(/\.sql$/, '') };
}

/**
 * Our migration files hold statements separated by semicolons at line ends, and no "--" inside string literals, so
 * comments can be dropped before splitting. A function body between $$ … $$ is one piece: its own semicolons do not
 * end the statement.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  const pieces = sql.replace(/--.*$/gm, '').split(/(\$\$[\s\S]*?\$\$)/);
  for (const [index, piece] of pieces.entries()) {
    if (index % 2 === 1) {
      current += piece; // a dollar-quoted body, whole
      continue;
    }
    const parts = piece.split(/;\s*(?:\n|$)/);
    current += parts[0];
    for (const part of parts.slice(1)) {
      statements.push(current);
      current = part;
    }
  }
  statements.push(current);
  return statements.map((statement) => statement.trim()).filter((statement) => statement.length > 0);
}
