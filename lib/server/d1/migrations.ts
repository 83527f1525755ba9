import 'server-only';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { D1Executor, SqlStatement } from './executor';

// The bookkeeping table and columns wrangler uses for `wrangler d1 migrations apply`, so that a
// database migrated by this code and one migrated by wrangler agree on what has been applied.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

export interface Migration {
  readonly name: string;
  readonly statements: readonly string[];
}

/**
 * Reads `migrations/NNNN_name.sql` (the folder wrangler.toml names) in name order and splits each
 * file into statements. The paths are spelt out in full so that Next's file tracing ships just
 * this folder with the server.
 */
export async function readMigrations(): Promise<Migration[]> {
  const names = (await readdir(path.join(process.cwd(), 'migrations')))
    .filter((n) => /^\d{4}_.+\.sql$/.test(n))
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      statements: splitSqlStatements(
        await readFile(path.join(process.cwd(), 'migrations', name), 'utf8'),
      ),
    })),
  );
}

/**
 * Splits a migration file into statements. Our migrations hold no `;` or `--` inside string
 * literals and no triggers, so dropping comments and splitting on `;` is exact for them.
 */
export function splitSqlStatements(sql: string): string[] {
  return sql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies every migration not yet recorded in `d1_migrations`, each in one atomic batch together
 * with its record. Returns the names it applied.
 */
export async function applyMigrations(
  executor: D1Executor,
  migrations: readonly Migration[],
): Promise<string[]> {
  const [, applied] = await executor.batch([
    { sql: CREATE_MIGRATIONS_TABLE, params: [] },
    { sql: 'SELECT name FROM d1_migrations', params: [] },
  ]);
  const done = new Set(applied?.rows.map((r) => String(r.name)));
  const pending = migrations.filter((m) => !done.has(m.name));
  for (const migration of pending) {
    const statements: SqlStatement[] = migration.statements.map((sql) => ({ sql, params: [] }));
    statements.push({
      sql: 'INSERT INTO d1_migrations (name) VALUES (?1)',
      params: [migration.name],
    });
    await executor.batch(statements);
  }
  return pending.map((m) => m.name);
}
