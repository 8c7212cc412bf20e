import { QueryTypes } from 'sequelize';
import type { Database } from '../db/connection.ts';
import type { Event } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import type { PluginStore } from './plugin-store.ts';

export interface EventSummary {
  code: string;
  name: string;
  shortName: string | null;
  kind: string;
  organizer: string | null;
  startDate: string;
  endDate: string;
  venues: { code: string; name: string }[];
  plugin: { code: string; version: string };
  counts: { person: number; vehicle: number; units: number };
  cardTypeCount: number;
  zoneCount: number;
}

/**
 * How long an event's row, once read, answers for it. Nearly every request names its event, and the
 * row changes only when the event is set up or published; re-reading it each time was a fifth of
 * the queries of the load test's requests (each a round trip that wakes PostgreSQL on the same two
 * cores). Changes made here forget it at once; another process sees them within this time.
 */
const EVENT_ROW_TTL_MS = 1000;

export class Events {
  private readonly rows = new Map<string, { event: Event; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly store: PluginStore,
  ) {}

  /** Drops the remembered row of an event (after changing it), or of every event. */
  forget(code?: string): void {
    if (code === undefined) this.rows.clear();
    else this.rows.delete(code);
  }

  /**
   * Makes sure each bundled plugin's event exists. An event that still follows its bundled
   * plugin moves to the newest bundled version; one edited in the designer is left alone.
   */
  async syncBundled(plugin: LoadedPlugin): Promise<Event> {
    const version = await this.store.store(plugin, 'bundled');
    const { Event, PluginVersion } = this.db.models;
    const code = plugin.manifest.event.code;
    const existing = await Event.findOne({ where: { code } });
    if (!existing) {
      const [created] = await Event.findOrCreate({
        where: { code },
        defaults: {
          code,
          name: plugin.manifest.event.name,
          pluginCode: plugin.code,
          pluginVersionId: version.id,
        },
      });
      return created;
    }
    if (existing.pluginVersionId !== version.id) {
      const current = await PluginVersion.findByPk(existing.pluginVersionId);
      if (current?.source === 'bundled' && current.pluginCode === plugin.code) {
        await existing.update({ pluginVersionId: version.id, name: plugin.manifest.event.name });
        this.forget(code);
      }
    }
    return existing;
  }

  async find(code: string): Promise<{ event: Event; plugin: LoadedPlugin }> {
    const remembered = this.rows.get(code);
    let event = remembered && performance.now() - remembered.at < EVENT_ROW_TTL_MS ? remembered.event : null;
    if (!event) {
      event = await this.db.models.Event.findOne({ where: { code } });
      if (!event) throw new TesseraError('event_not_found', `活动 "${code}" 不存在`, 404);
      this.rows.set(code, { event, at: performance.now() });
    }
    return { event, plugin: await this.store.load(event.pluginVersionId) };
  }

  /** Events with their record counts; a unit user's counts cover only that unit's records. */
  async list(scope: { unitId?: number } = {}): Promise<EventSummary[]> {
    const events = await this.db.models.Event.findAll({
      where: { status: 'active' },
      order: [['id', 'ASC']],
    });
    const counts = await this.db.sequelize.query<{
      event_id: string;
      kind: string;
      n: string;
      units: string;
    }>(
      `SELECT event_id, kind, count(*) AS n, count(DISTINCT unit_id) AS units FROM records
        WHERE (:unitId::bigint IS NULL OR unit_id = :unitId::bigint) GROUP BY event_id, kind`,
      { type: QueryTypes.SELECT, replacements: { unitId: scope.unitId ?? null } },
    );
    const summaries: EventSummary[] = [];
    for (const event of events) {
      const plugin = await this.store.load(event.pluginVersionId);
      const info = plugin.manifest.event;
      const mine = counts.filter((c) => Number(c.event_id) === event.id);
      const byKind = (kind: string) => Number(mine.find((c) => c.kind === kind)?.n ?? 0);
      summaries.push({
        code: event.code,
        name: event.name,
        shortName: info.shortName ?? null,
        kind: info.kind,
        organizer: info.organizer ?? null,
        startDate: info.startDate,
        endDate: info.endDate,
        venues: info.venues.map((v) => ({ code: v.code, name: v.name })),
        plugin: { code: plugin.code, version: plugin.version },
        counts: {
          person: byKind('person'),
          vehicle: byKind('vehicle'),
          units: mine.reduce((max, c) => Math.max(max, Number(c.units)), 0),
        },
        cardTypeCount: plugin.cardTypes.length,
        zoneCount: info.zones.length,
      });
    }
    return summaries;
  }

  async recordCounts(
    eventId: number,
    scope: { unitId?: number } = {},
  ): Promise<{ byStatus: Record<string, number>; byKind: Record<string, number> }> {
    const rows = await this.db.sequelize.query<{ kind: string; status: string; n: string }>(
      `SELECT kind, status, count(*) AS n FROM records
        WHERE event_id = :eventId AND (:unitId::bigint IS NULL OR unit_id = :unitId::bigint)
        GROUP BY kind, status`,
      { type: QueryTypes.SELECT, replacements: { eventId, unitId: scope.unitId ?? null } },
    );
    const byStatus: Record<string, number> = {};
    const byKind: Record<string, number> = {};
    for (const row of rows) {
      byStatus[row.status] = (byStatus[row.status] ?? 0) + Number(row.n);
      byKind[row.kind] = (byKind[row.kind] ?? 0) + Number(row.n);
    }
    return { byStatus, byKind };
  }
}
