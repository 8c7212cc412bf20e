import { QueryTypes } from 'sequelize';
import type { AuditActor, AuditLog } from '../audit.ts';
import type { Database } from '../db/connection.ts';
import type { Event } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import {
  canonicalJson,
  loadPluginBundleJson,
  type CardLayout,
  type LoadedPlugin,
  type PluginBundleJson,
  type PluginManifest,
} from '../plugins/index.ts';
import type { Events } from './events.ts';
import type {
  OnboardingStatus,
  OnboardingStep,
  OnboardingUnit,
  OnboardingView,
  TemplateSendBody,
} from './onboarding-views.ts';

export type * from './onboarding-views.ts';

/** Names listed in a step's `missing`; the rest is counted, so a big install stays readable. */
const MISSING_LIST_MAX = 20;
/** Units one request may mark; more is surely a mistake (the table offers select-all per filter). */
const MARK_MAX_UNITS = 5000;

type Files = PluginBundleJson['files'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The JSON files of one part of a plugin: the forms, the card types or the layouts. */
function partFiles(files: Files | undefined, part: 'forms' | 'cardTypes' | 'layouts'): string {
  if (!files) return '';
  const manifest = files['plugin.json'] as unknown as PluginManifest | undefined;
  if (!isObject(manifest)) return '';
  let paths: string[] = [];
  if (part === 'forms') paths = (manifest.recordKinds ?? []).map((k) => k.form);
  else if (part === 'cardTypes') paths = typeof manifest.cardTypes === 'string' ? [manifest.cardTypes] : [];
  else paths = manifest.layouts ?? [];
  const picked: Record<string, unknown> = {};
  // A card type's list can also be declared inline in plugin.json.
  if (part === 'cardTypes' && typeof manifest.cardTypes !== 'string') picked.inline = manifest.cardTypes;
  for (const p of paths) picked[p] = files[p] ?? null;
  return canonicalJson(picked);
}

/** The JSON files of a bundle, without its assets. */
function jsonFiles(files: Files): Files {
  return Object.fromEntries(Object.entries(files).filter(([path]) => !path.startsWith('assets/')));
}

/** `missing` with its tail counted instead of listed. */
function capped(items: string[]): string[] {
  return items.length <= MISSING_LIST_MAX
    ? items
    : [...items.slice(0, MISSING_LIST_MAX), `……另有 ${items.length - MISSING_LIST_MAX} 项`];
}

function step(
  id: OnboardingStep['id'],
  title: string,
  status: OnboardingStatus,
  summary: string,
  options: { missing?: string[]; progress?: { done: number; total: number } | null; optional?: boolean } = {},
): OnboardingStep {
  return {
    id,
    title,
    optional: options.optional ?? false,
    status,
    summary,
    missing: capped(options.missing ?? []),
    progress: options.progress ?? null,
  };
}

const count = (n: number | string | null | undefined) => Number(n ?? 0);

/** The setup state the checklist is computed from, read once per request. */
interface SetupState {
  event: Event;
  plugin: LoadedPlugin;
  published: Files;
  draft: Files | null;
  /** The event's first plugin version when it was made in 新建活动 (from blank or a bundled template). */
  baseline: Files | null;
  /** Problems of the draft as the plugin host sees them (file → errors). */
  draftErrors: Map<string, number>;
}

/**
 * The first-run checklist of an event (开通向导): forms → card types → units → card layouts →
 * collection template sent out, then the first import, review and print as progress. Every step is
 * computed from the real state (published plugin version, the setup draft, units and their
 * accounts, template downloads), never ticked by hand — except the template reaching a unit by a
 * channel the system cannot see, which staff mark as 已发送.
 */
export class Onboarding {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly audit: AuditLog,
  ) {}

  private async state(eventCode: string): Promise<SetupState> {
    const { event, plugin } = await this.events.find(eventCode);
    // The JSON files only: a version's artwork (base64 assets) can be megabytes the checklist never reads.
    const versions = await this.db.sequelize.query<{ id: string; source: string; files: Files | null }>(
      `SELECT id, source,
              (SELECT jsonb_object_agg(f.key, f.value) FROM jsonb_each(bundle->'files') f
                WHERE f.key NOT LIKE 'assets/%') AS files
         FROM plugin_versions
        WHERE id = :current
           OR id = (SELECT id FROM plugin_versions WHERE plugin_code = :pluginCode ORDER BY version LIMIT 1)`,
      {
        type: QueryTypes.SELECT,
        replacements: { current: event.pluginVersionId, pluginCode: event.pluginCode },
      },
    );
    const current = versions.find((v) => Number(v.id) === event.pluginVersionId);
    if (!current) throw new Error(`plugin version ${event.pluginVersionId} missing`);
    const first = versions.find((v) => Number(v.id) !== event.pluginVersionId) ?? current;
    const draftRow = await this.db.models.EventDraft.findByPk(event.id);
    const draft = draftRow ? (draftRow.bundle as PluginBundleJson) : null;
    const draftErrors = new Map<string, number>();
    if (draft) {
      const checked = loadPluginBundleJson(draft, { source: `draft ${event.code}` });
      for (const issue of checked.ok ? [] : checked.errors) {
        draftErrors.set(issue.file, (draftErrors.get(issue.file) ?? 0) + 1);
      }
    }
    return {
      event,
      plugin,
      published: current.files ?? {},
      draft: draft ? jsonFiles(draft.files) : null,
      // Bundled and imported events arrive finished; only an event made here starts from a template.
      baseline: first.source === 'designer' ? (first.files ?? {}) : null,
      draftErrors,
    };
  }

  /** Whether a part is still exactly as the template left it, and whether the draft changes it. */
  private static partState(s: SetupState, part: 'forms' | 'cardTypes' | 'layouts') {
    const published = partFiles(s.published, part);
    return {
      untouched: s.baseline !== null && partFiles(s.baseline, part) === published,
      pending: s.draft !== null && partFiles(s.draft, part) !== published,
    };
  }

  private static forms(s: SetupState): OnboardingStep {
    const kinds = s.plugin.manifest.recordKinds;
    const title = '采集表单';
    if (kinds.length === 0) return step('forms', title, 'missing', '还没有采集表单（人员、车辆）');
    const { untouched, pending } = Onboarding.partState(s, 'forms');
    const missing: string[] = [];
    const described: string[] = [];
    let ready = 0;
    for (const kind of kinds) {
      const fields = Object.keys(s.plugin.forms[kind.kind]?.properties ?? {}).length;
      described.push(`${kind.label}表单 ${fields} 个字段`);
      if (fields === 0) missing.push(`${kind.label}表单没有字段`);
      else ready++;
    }
    if (untouched) missing.push('表单沿用新建活动时的模板，尚未按本活动调整并发布');
    if (pending) missing.push('表单有未发布的修改（到“发布与版本”发布）');
    if (ready === 0) return step('forms', title, 'missing', described.join('、'), { missing });
    if (missing.length > 0)
      return step('forms', title, 'partial', described.join('、'), {
        missing,
        progress: ready < kinds.length ? { done: ready, total: kinds.length } : null,
      });
    return step('forms', title, 'done', `${described.join('、')}，已发布`);
  }

  private static cardTypes(s: SetupState): OnboardingStep {
    const title = '证件类型';
    const types = s.plugin.cardTypes;
    if (types.length === 0) return step('cardTypes', title, 'missing', '还没有定义证件类型');
    const { untouched, pending } = Onboarding.partState(s, 'cardTypes');
    const kinds = s.plugin.manifest.recordKinds;
    const byKind = kinds.map((k) => ({ k, n: types.filter((t) => t.recordKind === k.kind).length }));
    const missing = byKind.filter(({ n }) => n === 0).map(({ k }) => `${k.label}还没有证件类型`);
    if (untouched) missing.push('证件类型沿用新建活动时的模板，尚未按本活动调整并发布');
    if (pending) missing.push('证件类型有未发布的修改（到“发布与版本”发布）');
    const withQuota = types.filter(
      (t) =>
        t.quota.perUnit !== null ||
        t.quota.total !== null ||
        Object.values(t.quota.byUnit ?? {}).some((v) => typeof v === 'number'),
    ).length;
    const important = types.filter((t) => t.important).length;
    const described =
      `${types.length} 种（${byKind.map(({ k, n }) => `${k.label} ${n}`).join('、')}）` +
      `，${withQuota > 0 ? `${withQuota} 种设了配额` : '都不限配额'}` +
      (important > 0 ? `，重要证件 ${important} 种` : '');
    if (missing.length > 0) return step('cardTypes', title, 'partial', described, { missing });
    return step('cardTypes', title, 'done', described);
  }

  private static units(s: SetupState, units: OnboardingUnit[]): OnboardingStep {
    const title = '申报单位';
    if (units.length === 0) return step('units', title, 'missing', '还没有申报单位');
    const without = units.filter((u) => u.accounts === 0);
    const byUnitQuota = new Set(s.plugin.cardTypes.flatMap((t) => Object.keys(t.quota.byUnit ?? {})));
    const quotaNote = byUnitQuota.size > 0 ? `，${byUnitQuota.size} 个单位单独设了配额` : '';
    if (without.length > 0)
      return step(
        'units',
        title,
        'partial',
        `${units.length} 个单位，其中 ${without.length} 个还没有账号${quotaNote}`,
        {
          missing: without.map((u) => `${u.name}（${u.code}）没有申报账号`),
          progress: { done: units.length - without.length, total: units.length },
        },
      );
    return step('units', title, 'done', `${units.length} 个单位，都有申报账号${quotaNote}`);
  }

  private static layouts(s: SetupState): OnboardingStep {
    const title = '证件版式';
    const types = s.plugin.cardTypes;
    if (types.length === 0) return step('layouts', title, 'missing', '先定义证件类型，再为它设计版式');
    const byCode = new Map<string, CardLayout>(s.plugin.layouts.map((l) => [l.code, l]));
    const missing: string[] = [];
    let ready = 0;
    for (const t of types) {
      const layout = byCode.get(t.layout);
      const drawn =
        layout &&
        ((layout.front?.elements?.length ?? 0) > 0 ||
          (layout.back?.elements?.length ?? 0) > 0 ||
          !!layout.template?.front);
      if (!layout) missing.push(`${t.name}没有版式`);
      else if (!drawn) missing.push(`${t.name}的版式“${layout.name}”是空白的`);
      else ready++;
    }
    // The draft is where a new card type appears first: say which of them still lack a layout.
    if (s.draft) {
      const manifest = s.draft['plugin.json'] as unknown as PluginManifest;
      const layoutCodes = new Set(
        (manifest.layouts ?? []).map((f) => {
          const l = s.draft![f] as unknown as CardLayout | undefined;
          return isObject(l) ? l.code : null;
        }),
      );
      const ctFile = typeof manifest.cardTypes === 'string' ? s.draft[manifest.cardTypes] : undefined;
      const draftTypes = isObject(ctFile) && Array.isArray(ctFile.cardTypes) ? ctFile.cardTypes : [];
      for (const t of draftTypes as { code: string; name: string; layout?: string }[]) {
        if (!types.some((p) => p.code === t.code) && !(t.layout && layoutCodes.has(t.layout)))
          missing.push(`${t.name}（草稿中新增）没有版式`);
      }
      const errors = (manifest.layouts ?? []).reduce((n, f) => n + (s.draftErrors.get(f) ?? 0), 0);
      if (errors > 0) missing.push(`版式草稿有 ${errors} 处错误，改正后才能发布`);
    }
    const { untouched, pending } = Onboarding.partState(s, 'layouts');
    if (untouched) missing.push('版式沿用新建活动时的模板，尚未设计');
    if (pending) missing.push('版式有未发布的修改（在证件版式页发布）');
    const described = `${types.length} 种证件中 ${ready} 种有版式`;
    if (ready === 0) return step('layouts', title, 'missing', described, { missing });
    if (missing.length > 0)
      return step('layouts', title, 'partial', described, {
        missing,
        progress: ready < types.length ? { done: ready, total: types.length } : null,
      });
    return step('layouts', title, 'done', `${types.length} 种证件都有版式，已发布`);
  }

  private static templates(units: OnboardingUnit[]): OnboardingStep {
    const title = '下发采集模板';
    if (units.length === 0) return step('templates', title, 'missing', '还没有申报单位，无从下发');
    const got = units.filter((u) => u.template !== null);
    const downloaded = got.filter((u) => u.template?.via === 'download').length;
    const how = got.length > 0 ? `（自行下载 ${downloaded}，标记已发送 ${got.length - downloaded}）` : '';
    const summary = `${units.length} 个单位中 ${got.length} 个已收到采集模板${how}`;
    if (got.length === units.length) return step('templates', title, 'done', summary);
    return step('templates', title, got.length === 0 ? 'missing' : 'partial', summary, {
      missing: units.filter((u) => u.template === null).map((u) => `${u.name}（${u.code}）未收到`),
      progress: { done: got.length, total: units.length },
    });
  }

  /** The later steps: progress only, they never keep the checklist open. */
  private async laterSteps(eventId: number): Promise<OnboardingStep[]> {
    const [row] = await this.db.sequelize.query<Record<string, string | null>>(
      `SELECT
         (SELECT count(*) FROM import_batches WHERE event_id = :eventId) AS batches,
         (SELECT count(*) FROM import_batches WHERE event_id = :eventId AND status = 'committed') AS committed,
         (SELECT count(DISTINCT unit_id) FROM records WHERE event_id = :eventId) AS record_units,
         (SELECT count(*) FROM records WHERE event_id = :eventId AND status <> 'deleted') AS records,
         (SELECT count(*) FROM review_batches WHERE event_id = :eventId AND status = 'open') AS open_batches,
         (SELECT count(*) FROM review_decisions WHERE event_id = :eventId) AS decisions,
         (SELECT count(*) FROM review_decisions WHERE event_id = :eventId AND decision = 'approved') AS approved,
         (SELECT count(*) FROM print_jobs WHERE event_id = :eventId) AS jobs,
         (SELECT count(*) FROM cards WHERE event_id = :eventId AND printed_at IS NOT NULL) AS printed`,
      { type: QueryTypes.SELECT, replacements: { eventId } },
    );
    const n = (key: string) => count(row?.[key]);
    const later = { optional: true };
    const steps: OnboardingStep[] = [];
    if (n('records') > 0)
      steps.push(
        step(
          'firstImport',
          '首次采集',
          'done',
          `已有 ${n('records')} 条记录（${n('record_units')} 个单位），导入 ${n('committed')} 批`,
          later,
        ),
      );
    else if (n('batches') > 0)
      steps.push(step('firstImport', '首次采集', 'partial', `已上传 ${n('batches')} 批，尚未入库`, later));
    else steps.push(step('firstImport', '首次采集', 'missing', '还没有采集数据', later));
    if (n('decisions') > 0)
      steps.push(
        step(
          'firstReview',
          '首次审核',
          'done',
          `已审核 ${n('decisions')} 次，通过 ${n('approved')} 次` +
            (n('open_batches') > 0 ? `，${n('open_batches')} 个批次待审` : ''),
          later,
        ),
      );
    else if (n('open_batches') > 0)
      steps.push(step('firstReview', '首次审核', 'partial', `${n('open_batches')} 个批次待审核`, later));
    else steps.push(step('firstReview', '首次审核', 'missing', '还没有提交审核的批次', later));
    if (n('printed') > 0)
      steps.push(step('firstPrint', '首次制证', 'done', `已制证 ${n('printed')} 张`, later));
    else if (n('jobs') > 0)
      steps.push(
        step('firstPrint', '首次制证', 'partial', `${n('jobs')} 个制证任务，尚无打印完成的证件`, later),
      );
    else steps.push(step('firstPrint', '首次制证', 'missing', '还没有制证', later));
    return steps;
  }

  /** Every unit with its accounts, its records in the event and the template's state. */
  private async unitRows(eventId: number): Promise<OnboardingUnit[]> {
    const rows = await this.db.sequelize.query<{
      code: string;
      name: string;
      contact_name: string | null;
      contact_phone: string | null;
      accounts: string;
      records: string | null;
      via: 'download' | 'marked' | null;
      first_at: Date | null;
      last_at: Date | null;
      downloads: number | null;
      marked_by: string | null;
    }>(
      `SELECT u.code, u.name, u.contact_name, u.contact_phone,
              (SELECT count(*) FROM users a WHERE a.unit_id = u.id AND a.role = 'unit' AND NOT a.disabled) AS accounts,
              r.n AS records, s.via, s.first_at, s.last_at, s.downloads, m.username AS marked_by
         FROM units u
         LEFT JOIN (SELECT unit_id, count(*) AS n FROM records
                     WHERE event_id = :eventId AND status <> 'deleted' GROUP BY unit_id) r ON r.unit_id = u.id
         LEFT JOIN collection_template_sends s ON s.event_id = :eventId AND s.unit_id = u.id
         LEFT JOIN users m ON m.id = s.marked_by
        ORDER BY u.code`,
      { type: QueryTypes.SELECT, replacements: { eventId } },
    );
    return rows.map((r) => ({
      code: r.code,
      name: r.name,
      contactName: r.contact_name,
      contactPhone: r.contact_phone,
      accounts: count(r.accounts),
      records: count(r.records),
      template:
        r.via && r.first_at && r.last_at
          ? {
              via: r.via,
              firstAt: r.first_at.toISOString(),
              lastAt: r.last_at.toISOString(),
              downloads: r.downloads ?? 0,
              markedBy: r.marked_by,
            }
          : null,
    }));
  }

  /**
   * The checklist of an event. `withUnits`: include the unit table (staff who send templates);
   * roles that only read the checklist get the steps alone.
   */
  async view(eventCode: string, options: { withUnits: boolean }): Promise<OnboardingView> {
    const s = await this.state(eventCode);
    const units = await this.unitRows(s.event.id);
    const steps = [
      Onboarding.forms(s),
      Onboarding.cardTypes(s),
      Onboarding.units(s, units),
      Onboarding.layouts(s),
      Onboarding.templates(units),
      ...(await this.laterSteps(s.event.id)),
    ];
    const required = steps.filter((x) => !x.optional);
    const done = required.filter((x) => x.status === 'done').length;
    return {
      event: { code: s.event.code, name: s.event.name },
      steps,
      required: { done, total: required.length },
      allDone: done === required.length,
      units: options.withUnits ? units : [],
      draftPending: s.draft !== null && canonicalJson(s.draft) !== canonicalJson(s.published),
    };
  }

  /**
   * A unit account downloaded the collection template: the template has reached that unit. Called
   * on every download; counts them and keeps the first and the latest time.
   */
  async recordDownload(eventId: number, unitId: number): Promise<void> {
    await this.db.sequelize.query(
      `INSERT INTO collection_template_sends (event_id, unit_id, via, downloads)
       VALUES (:eventId, :unitId, 'download', 1)
       ON CONFLICT (event_id, unit_id) DO UPDATE
         SET via = 'download', downloads = collection_template_sends.downloads + 1, last_at = now()`,
      { replacements: { eventId, unitId } },
    );
  }

  /**
   * Staff mark the template sent to units (by e-mail, on paper …), or take their mark back. A
   * unit's own download is a fact, not a mark: taking marks back leaves it.
   */
  async markSent(
    eventCode: string,
    body: TemplateSendBody,
    actor: AuditActor & { userId: number },
  ): Promise<{ changed: number }> {
    const codes = Array.isArray(body?.units) ? body.units : null;
    if (!codes || codes.length === 0 || !codes.every((c) => typeof c === 'string' && c !== ''))
      throw new TesseraError('invalid_request', '请选择要标记的申报单位（units：单位代码列表）', 422, {
        fields: { units: '请至少选择一个单位' },
      });
    if (typeof body.sent !== 'boolean')
      throw new TesseraError('invalid_request', '请说明是标记已发送还是撤销标记（sent：true 或 false）', 422);
    if (codes.length > MARK_MAX_UNITS)
      throw new TesseraError('too_many_units', `一次最多标记 ${MARK_MAX_UNITS} 个单位，请分批操作`, 422);
    const { event } = await this.events.find(eventCode);
    const unique = [...new Set(codes)];
    const found = await this.db.models.Unit.findAll({ where: { code: unique } });
    const unknown = unique.filter((c) => !found.some((u) => u.code === c));
    if (unknown.length > 0)
      throw new TesseraError(
        'unit_not_found',
        `单位 ${unknown.slice(0, 10).join('、')}${unknown.length > 10 ? ` 等 ${unknown.length} 个` : ''} 不存在，请刷新单位列表后再选`,
        422,
        { units: unknown },
      );
    const unitIds = found.map((u) => u.id);
    const replacements = { eventId: event.id, unitIds, userId: actor.userId };
    // RETURNING: the units whose state this request changed (a mark already there is not counted).
    const changedRows = await this.db.sequelize.query<{ unit_id: string }>(
      body.sent
        ? `INSERT INTO collection_template_sends (event_id, unit_id, via, marked_by)
           SELECT :eventId, id, 'marked', :userId FROM units WHERE id IN (:unitIds)
           ON CONFLICT (event_id, unit_id) DO NOTHING
           RETURNING unit_id`
        : `DELETE FROM collection_template_sends
            WHERE event_id = :eventId AND unit_id IN (:unitIds) AND via = 'marked'
           RETURNING unit_id`,
      { type: QueryTypes.SELECT, replacements },
    );
    const changed = changedRows.length;
    await this.audit.record(
      body.sent ? 'template_mark_sent' : 'template_unmark_sent',
      actor,
      { type: 'event', id: event.code, eventId: event.id },
      { units: found.map((u) => u.code), changed },
    );
    return { changed };
  }
}
