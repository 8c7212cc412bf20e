import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import * as initial from './migrations/0001-initial.ts';
import * as recordUniqueness from './migrations/0002-record-uniqueness.ts';
import * as eventSetup from './migrations/0003-event-setup.ts';
import * as photos from './migrations/0004-photos.ts';
import * as importStaging from './migrations/0005-import.ts';
import * as review from './migrations/0006-review.ts';
import * as cards from './migrations/0007-cards.ts';
import * as searchReports from './migrations/0008-search-reports.ts';
import * as ops from './migrations/0009-ops.ts';
import * as legacy from './migrations/0010-legacy.ts';
import * as loginThrottle from './migrations/0011-login-throttle.ts';
import * as loadIndexes from './migrations/0012-load-indexes.ts';
import * as onboarding from './migrations/0013-onboarding.ts';
import * as dropNameTrigrams from './migrations/0014-drop-name-trigrams.ts';
import * as reportTotals from './migrations/0015-report-totals.ts';
import * as recordCardHeld from './migrations/0016-record-card-held.ts';
import * as vacuumOften from './migrations/0017-vacuum-often.ts';

/** Listed explicitly (not globbed) so the same list works from source and from a build. */
const migrations = [
  { name: '0001-initial', ...initial },
  { name: '0002-record-uniqueness', ...recordUniqueness },
  { name: '0003-event-setup', ...eventSetup },
  { name: '0004-photos', ...photos },
  { name: '0005-import', ...importStaging },
  { name: '0006-review', ...review },
  { name: '0007-cards', ...cards },
  { name: '0008-search-reports', ...searchReports },
  { name: '0009-ops', ...ops },
  { name: '0010-legacy', ...legacy },
  { name: '0011-login-throttle', ...loginThrottle },
  { name: '0012-load-indexes', ...loadIndexes },
  { name: '0013-onboarding', ...onboarding },
  { name: '0014-drop-name-trigrams', ...dropNameTrigrams },
  { name: '0015-report-totals', ...reportTotals },
  { name: '0016-record-card-held', ...recordCardHeld },
  { name: '0017-vacuum-often', ...vacuumOften },
];

/** Names in order: a restore checks a backup's schema level against them. */
export const migrationNames: readonly string[] = migrations.map((m) => m.name);

/** Arbitrary constant: serialises migrations when a server and a CLI start at the same moment. */
const MIGRATION_LOCK = 7_241_001;

/** `to`: stop after that migration (a restore rebuilds the schema at the backup's level). */
export async function migrate(sequelize: Sequelize, options: { to?: string } = {}): Promise<string[]> {
  const umzug = new Umzug({
    migrations: migrations.map((m) => ({
      name: m.name,
      up: async () => m.up({ context: sequelize }),
      down: async () => m.down({ context: sequelize }),
    })),
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
  // An advisory lock held on one dedicated connection for the whole run.
  return sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(:key)', {
      replacements: { key: MIGRATION_LOCK },
      transaction,
    });
    const applied = await umzug.up(options.to ? { to: options.to } : undefined);
    return applied.map((m) => m.name);
  });
}
