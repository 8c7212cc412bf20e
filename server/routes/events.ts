import { defineRoutes, type ApiContext } from '../route-table.ts';

/** A unit user sees only its own unit's figures. */
const scopeOf = (ctx: ApiContext) =>
  ctx.state.user?.role === 'unit' && ctx.state.user.unit ? { unitId: ctx.state.user.unit.id } : {};

interface FormProperty {
  'x-label'?: string;
  'x-widget'?: string;
  'x-sensitive'?: boolean;
}

export const eventRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/events',
    summary: '活动列表 (events with record counts)',
    tag: 'events',
    access: 'any',
    handler: async (ctx, engine) => {
      ctx.body = { events: await engine.events.list(scopeOf(ctx)) };
    },
  },
  {
    method: 'GET',
    path: '/api/events/:event',
    summary: '活动概况 (an event: venues, zones, card types, forms, counts)',
    tag: 'events',
    access: 'any',
    handler: async (ctx, engine) => {
      const { event, plugin } = await engine.events.find(ctx.params.event as string);
      const stored = await engine.db.models.PluginVersion.findByPk(event.pluginVersionId);
      const info = plugin.manifest.event;
      ctx.body = {
        event: {
          code: event.code,
          name: event.name,
          shortName: info.shortName ?? null,
          kind: info.kind,
          organizer: info.organizer ?? null,
          description: plugin.manifest.description ?? null,
          startDate: info.startDate,
          endDate: info.endDate,
          timezone: info.timezone ?? null,
          venues: info.venues.map((v) => ({ code: v.code, name: v.name, address: v.address ?? null })),
          zones: info.zones.map((z) => ({
            code: z.code,
            name: z.name,
            color: z.color ?? null,
            venue: z.venue ?? null,
          })),
          plugin: {
            code: plugin.code,
            version: plugin.version,
            storedVersion: stored?.version ?? null,
            checksum: plugin.checksum,
            loadedAt: stored?.createdAt ?? null,
          },
        },
        recordKinds: plugin.manifest.recordKinds.map((kind) => {
          const form = plugin.forms[kind.kind];
          const properties = (form?.properties ?? {}) as Record<string, FormProperty>;
          const required = new Set((form?.required ?? []) as string[]);
          return {
            kind: kind.kind,
            label: kind.label,
            fieldCount: Object.keys(properties).length,
            fields: Object.entries(properties).map(([key, p]) => ({
              key,
              label: p['x-label'] ?? key,
              widget: p['x-widget'] ?? 'text',
              required: required.has(key),
              sensitive: p['x-sensitive'] === true,
            })),
          };
        }),
        cardTypes: plugin.cardTypes.map((t) => ({
          code: t.code,
          name: t.name,
          recordKind: t.recordKind,
          important: t.important,
          importanceLevel: t.importanceLevel,
          zones: t.zones,
          color: t.color ?? null,
          quota: t.quota ? { perUnit: t.quota.perUnit ?? null, total: t.quota.total ?? null } : null,
        })),
        counts: await engine.events.recordCounts(event.id, scopeOf(ctx)),
      };
    },
  },
]);
