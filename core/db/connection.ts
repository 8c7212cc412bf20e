import { ConnectionError, Sequelize } from 'sequelize';
import type { TesseraConfig } from '../config.ts';
import { startEmbeddedPostgres, type EmbeddedHandle, type EmbeddedRole } from './embedded.ts';
import { migrate } from './migrate.ts';
import { initModels, type Models } from './models.ts';

export interface Database {
  sequelize: Sequelize;
  models: Models;
  /** Where the data lives, with the password left out, for logs and health. */
  describe: string;
  /** The connection string, for clients outside the Sequelize pool (the print queue, its locks). */
  url: string;
  embedded: EmbeddedHandle | undefined;
  close(): Promise<void>;
}

export async function openDatabase(
  config: TesseraConfig,
  options: { role: EmbeddedRole; log?: (message: string) => void },
): Promise<Database> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, role: options.role, log: options.log });
  const url = config.databaseUrl ?? embedded!.url;
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 20, min: 0, idle: 10_000, acquire: 30_000 },
  });
  try {
    await sequelize.authenticate();
    await migrate(sequelize);
  } catch (error) {
    await sequelize.close().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
  const parsed = new URL(url);
  return {
    sequelize,
    models: initModels(sequelize),
    describe: `${embedded ? 'embedded' : 'external'} postgres://${parsed.hostname}:${parsed.port}${parsed.pathname}`,
    url,
    embedded,
    async close() {
      await sequelize.close();
      await embedded?.stop();
    },
  };
}

/** SQLSTATEs of a server that is not there right now: class 08 (connection), 57P01–57P03 (shut down, starting). */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123])$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** What node-postgres says when the server goes away under a query (no code attached). */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|Client has encountered a connection error|connection is closed/i;

/**
 * Whether an error means "PostgreSQL cannot be reached at the moment" (stopped, restarting, the
 * network) rather than "this query is wrong": the first is answered 503, try again, and heals
 * by itself — the pool opens fresh connections once the server is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (e instanceof ConnectionError) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    const next = e as { parent?: unknown; original?: unknown; cause?: unknown };
    e = next.parent ?? next.original ?? next.cause;
  }
  return false;
}
