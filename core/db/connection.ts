import { Sequelize } from 'sequelize';
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
