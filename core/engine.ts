import { Accounts } from './auth/accounts.ts';
import { AuditLog } from './audit.ts';
import type { TesseraConfig } from './config.ts';
import { openDatabase, type Database } from './db/connection.ts';
import type { EmbeddedRole } from './db/embedded.ts';
import { Events } from './events/events.ts';
import { PluginStore } from './events/plugin-store.ts';
import { EventSetup } from './events/setup.ts';
import {
  formatIssue,
  loadPluginsDirectory,
  PluginRegistry,
  type PluginIssue,
  type PluginLoadResult,
} from './plugins/index.ts';
import { loadDataKeys } from './crypto/secrets.ts';
import { Photos } from './photos/photos.ts';
import { SensitiveData } from './crypto/sensitive.ts';
import { Records } from './records/records.ts';
import { Units } from './units.ts';
import { Imports } from './import/imports.ts';
import { MappingProfiles } from './import/profiles.ts';
import { Review } from './review/review.ts';
import { DEFAULT_IMPORT_LIMITS } from './import/types.ts';
import { Tasks } from './tasks/tasks.ts';
import { Backups } from './ops/backup/backups.ts';
import { Search } from './search/search.ts';
import { Reports } from './reports/reports.ts';
import { CardLayouts } from './layout/layouts.ts';
import { SharedRenderBrowser } from './render/shared.ts';
import { Cards } from './cards/cards.ts';
import { Inspections } from './ops/inspect/inspections.ts';
import { Metrics } from './ops/monitor/metrics.ts';

/** The engine: every core service over one database. Server and CLI are skins over this. */
export interface Engine {
  config: TesseraConfig;
  db: Database;
  accounts: Accounts;
  audit: AuditLog;
  units: Units;
  events: Events;
  /** Event setup in the designer: drafts, publish, export and import of event plugins. */
  setup: EventSetup;
  plugins: PluginRegistry;
  pluginStore: PluginStore;
  records: Records;
  photos: Photos;
  /** Long tasks with progress (imports, commits …). */
  tasks: Tasks;
  /** Information collection: Excel/zip import, staging, pruning, commit. */
  imports: Imports;
  /** Review (数据审核): submission, the unit's declaration context, decisions. */
  review: Review;
  /** Saved mapping profiles of events, and the one each unit last used. */
  mappingProfiles: MappingProfiles;
  /** Encryption, keyed hash and masking of ID numbers. */
  sensitive: SensitiveData;
  /** Full and incremental backups of the database and stored files; the server's schedule. */
  backups: Backups;
  /** 综合查询: one box for ID number, card number, plate, name or unit. */
  search: Search;
  /** 统计报表: counts per unit, card type, status, zone and day; the .xlsx export. */
  reports: Reports;
  /** One Chromium for the whole process (previews, proofs), started on first use. */
  renderer: SharedRenderBrowser;
  /** The card designer: layouts in the event's draft, art, previews with real records. */
  layouts: CardLayouts;
  /** 证件制作 / 证件管理 / 扫码核验: print jobs on the PostgreSQL queue, card lifecycle, signed QR tokens. */
  cards: Cards;
  /** 巡检报告: health, security, response times, database, backups, disk; HTML and PDF. */
  inspections: Inspections;
  /** Prometheus metrics of this process (/metrics). */
  metrics: Metrics;
  /** Outcome of loading plugins/ at start, broken ones included. */
  pluginLoad: PluginLoadResult[];
  close(): Promise<void>;
}

export interface EngineOptions {
  role: EmbeddedRole;
  /** Load plugins/ and sync the bundled events (the server does; most CLI commands need not). */
  loadPlugins?: boolean;
  log?: (message: string) => void;
}

export async function createEngine(config: TesseraConfig, options: EngineOptions): Promise<Engine> {
  const log = options.log ?? (() => undefined);
  const db = await openDatabase(config, { role: options.role, log });
  try {
    const pluginStore = new PluginStore(db);
    const audit = new AuditLog(db);
    const events = new Events(db, pluginStore);
    const sensitive = new SensitiveData(loadDataKeys(config.dataDir));
    const photos = new Photos(db, events, config.dataDir, audit);
    const plugins = new PluginRegistry();
    const records = new Records(db, events, sensitive, audit, photos);
    const tasks = new Tasks(db);
    const mappingProfiles = new MappingProfiles(db, events, audit);
    const backups = new Backups(config, db, tasks, audit);
    const renderer = new SharedRenderBrowser({ priority: config.backgroundPriority });
    const cards = new Cards(config, db, { events, records, photos, sensitive, audit, tasks, renderer }, log);
    const setup = new EventSetup(db, events, pluginStore, plugins, audit);
    const engine: Engine = {
      config,
      db,
      accounts: new Accounts(db, config, audit),
      audit,
      units: new Units(db),
      events,
      records,
      photos,
      tasks,
      mappingProfiles,
      review: new Review(db, events, records, audit),
      imports: new Imports(
        db,
        events,
        records,
        photos,
        photos.blobs,
        sensitive,
        audit,
        tasks,
        mappingProfiles,
        {
          ...DEFAULT_IMPORT_LIMITS,
          maxFileBytes: config.maxUploadBytes,
        },
      ),
      plugins,
      setup,
      renderer,
      layouts: new CardLayouts(db, events, setup, records, photos, renderer, audit),
      cards,
      pluginStore,
      sensitive,
      backups,
      search: new Search(db, events, sensitive),
      reports: new Reports(db, events, audit),
      inspections: new Inspections(config, db, backups, tasks, audit, renderer, () => engine.pluginLoad),
      metrics: new Metrics(db),
      pluginLoad: [],
      close: async () => {
        await backups.close();
        await cards.stop();
        await renderer.close();
        await tasks.drain();
        await db.close();
      },
    };
    if (options.loadPlugins) await loadBundledPlugins(engine, log);
    return engine;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** A broken plugin is reported and skipped; the others load. */
async function loadBundledPlugins(engine: Engine, log: (message: string) => void): Promise<void> {
  engine.pluginLoad = await loadPluginsDirectory(engine.config.pluginsDir);
  for (const result of engine.pluginLoad) {
    const report = (issue: PluginIssue) => log(formatIssue(issue));
    result.warnings.forEach(report);
    if (!result.ok) {
      log(`插件 ${result.code} (${result.source}) 未加载：${result.errors.length} 个错误`);
      result.errors.forEach(report);
      continue;
    }
    engine.plugins.register(result.plugin, { replace: true });
    await engine.events.syncBundled(result.plugin);
    log(
      `插件 ${result.plugin.code} v${result.plugin.version} 已加载 (活动 ${result.plugin.manifest.event.code})`,
    );
  }
}
