import type { Transaction } from 'sequelize';
import type { AuditActor, AuditLog } from '../audit.ts';
import type { Database } from '../db/connection.ts';
import type { Event, EventDraft } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import {
  bundleToJson,
  loadPluginBundleJson,
  type LoadedPlugin,
  type PluginBundleJson,
  type PluginManifest,
  type PluginRegistry,
} from '../plugins/index.ts';
import { blankEventFiles, type NewEventInfo } from './blank-template.ts';
import { reconcileDraft, type DraftFiles } from './draft-rules.ts';
import type { Events } from './events.ts';
import type { PluginStore } from './plugin-store.ts';
import type { DraftIssues, DraftView, EventTemplate, VersionView } from './setup-types.ts';

export type { DraftIssues, DraftView, EventTemplate, VersionView };

type Actor = AuditActor & { userId: number };

const EVENT_CODE = /^[A-Z][A-Z0-9_-]{1,31}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const EVENT_KINDS = ['expo', 'conference', 'forum', 'sports', 'performance', 'festival', 'other'] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Bumps the last number of a dotted version: 1.0.0 → 1.0.1. */
function nextVersion(version: string): string {
  const match = /^(.*?)(\d+)$/.exec(version);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${version}.1`;
}

/** Splits a stored bundle into its JSON files and its binary assets (kept as base64 entries). */
function splitBundle(bundle: PluginBundleJson): {
  files: DraftFiles;
  assets: Record<string, { base64: string; mediaType: string }>;
} {
  const files: DraftFiles = {};
  const assets: Record<string, { base64: string; mediaType: string }> = {};
  for (const [path, content] of Object.entries(bundle.files)) {
    if (path.startsWith('assets/')) assets[path] = content as { base64: string; mediaType: string };
    else files[path] = content;
  }
  return { files, assets };
}

function joinBundle(
  files: DraftFiles,
  assets: Record<string, { base64: string; mediaType: string }>,
): PluginBundleJson {
  return {
    format: 'tessera-plugin-bundle',
    formatVersion: 1,
    files: { ...(files as PluginBundleJson['files']), ...assets },
  };
}

function validate(bundle: PluginBundleJson, source: string): { plugin?: LoadedPlugin; issues: DraftIssues } {
  const result = loadPluginBundleJson(bundle, { source });
  return result.ok
    ? { plugin: result.plugin, issues: { errors: [], warnings: result.warnings } }
    : { issues: { errors: result.errors, warnings: result.warnings } };
}

function invalidPlugin(message: string, issues: DraftIssues): TesseraError {
  return new TesseraError('plugin_invalid', message, 422, {
    issues: issues.errors,
    warnings: issues.warnings,
  });
}

/**
 * Event setup without code (issue: no-code event setup): create an event from a bundled plugin or
 * blank, edit a working copy of its plugin (a draft, saved with every change and checked with the
 * same plugin host that loads folders), publish the draft as a new plugin version, export and
 * import the single-JSON bundle.
 */
export class EventSetup {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly store: PluginStore,
    private readonly registry: PluginRegistry,
    private readonly audit: AuditLog,
  ) {}

  /** Bundled plugins an event can start from; `blank` is always offered besides. */
  templates(): EventTemplate[] {
    return this.registry.list().map((p) => ({
      code: p.code,
      name: p.manifest.name,
      kind: p.manifest.event.kind,
      description: p.manifest.description ?? null,
      cardTypes: p.cardTypes.map((t) => t.name),
    }));
  }

  private checkNewEvent(info: NewEventInfo): void {
    const problems: Record<string, string> = {};
    if (!EVENT_CODE.test(info.code))
      problems.code = '活动代码须以大写字母开头，只含大写字母、数字、_ -，2–32 位，如 EXPO2027';
    if (!info.name?.trim()) problems.name = '请填写活动名称';
    if (!info.organizer?.trim()) problems.organizer = '请填写主办单位';
    if (!EVENT_KINDS.includes(info.kind)) problems.kind = '请选择活动类型';
    if (!ISO_DATE.test(info.startDate ?? '')) problems.startDate = '请填写开始日期（YYYY-MM-DD）';
    if (!ISO_DATE.test(info.endDate ?? '')) problems.endDate = '请填写结束日期（YYYY-MM-DD）';
    else if (info.startDate && info.endDate < info.startDate) problems.endDate = '结束日期不能早于开始日期';
    if (Object.keys(problems).length > 0) {
      throw new TesseraError('invalid_event', Object.values(problems).join('；'), 422, { fields: problems });
    }
  }

  /** A plugin code for an event created here: its own, so bundled plugins never overwrite it. */
  private async pluginCodeFor(eventCode: string): Promise<string> {
    const base = `event-${eventCode.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 60);
    for (let n = 1; ; n++) {
      const code = n === 1 ? base : `${base}-${n}`;
      const used =
        (await this.db.models.PluginVersion.count({ where: { pluginCode: code } })) > 0 ||
        this.registry.get(code) !== undefined;
      if (!used) return code;
    }
  }

  async create(info: NewEventInfo & { template: string }, actor: Actor): Promise<Event> {
    const clean: NewEventInfo = {
      ...info,
      code: String(info.code ?? '').trim(),
      name: String(info.name ?? '').trim(),
      organizer: String(info.organizer ?? '').trim(),
    };
    this.checkNewEvent(clean);
    if (await this.db.models.Event.findOne({ where: { code: clean.code } })) {
      throw new TesseraError('event_exists', `活动代码 "${clean.code}" 已被使用，请换一个`, 409, {
        fields: { code: '活动代码已被使用' },
      });
    }
    const pluginCode = await this.pluginCodeFor(clean.code);
    let files: DraftFiles;
    let assets: Record<string, { base64: string; mediaType: string }> = {};
    if (info.template === 'blank') {
      files = blankEventFiles(clean, pluginCode);
    } else {
      const template = this.registry.get(info.template);
      if (!template)
        throw new TesseraError('template_not_found', `没有名为 "${info.template}" 的活动模板`, 404);
      ({ files, assets } = splitBundle(structuredClone(bundleToJson(template.bundle))));
      const manifest = files['plugin.json'] as PluginManifest;
      manifest.code = pluginCode;
      manifest.version = '1.0.0';
      manifest.name = clean.name;
      Object.assign(manifest.event, {
        code: clean.code,
        name: clean.name,
        kind: clean.kind,
        organizer: clean.organizer,
        startDate: clean.startDate,
        endDate: clean.endDate,
      });
      delete manifest.event.collection;
      delete manifest.event.shortName;
    }
    const { plugin, issues } = validate(joinBundle(files, assets), `new event ${clean.code}`);
    if (!plugin) throw invalidPlugin('新活动的定义未通过校验', issues);
    const version = await this.store.store(plugin, 'designer', actor.userId);
    const event = await this.db.models.Event.create({
      code: clean.code,
      name: clean.name,
      pluginCode,
      pluginVersionId: version.id,
    });
    await this.audit.record(
      'event_create',
      actor,
      { type: 'event', id: event.code, eventId: event.id },
      { template: info.template, pluginCode, version: version.version },
    );
    return event;
  }

  private async view(event: Event, draft: EventDraft | null): Promise<DraftView> {
    const current = await this.db.models.PluginVersion.findByPk(event.pluginVersionId);
    if (!current) throw new Error(`plugin version ${event.pluginVersionId} missing`);
    const bundle = (draft?.bundle ?? current.bundle) as PluginBundleJson;
    const { files, assets } = splitBundle(bundle);
    const base = draft ? await this.db.models.PluginVersion.findByPk(draft.baseVersionId) : current;
    return {
      event: { code: event.code, name: event.name },
      revision: draft?.revision ?? 0,
      baseVersion: base?.version ?? current.version,
      files,
      assets: Object.entries(assets).map(([path, a]) => ({
        path,
        mediaType: a.mediaType,
        bytes: Math.floor((a.base64.length * 3) / 4),
      })),
      issues: validate(bundle, `draft ${event.code}`).issues,
      updatedAt: draft?.updatedAt?.toISOString() ?? null,
    };
  }

  async getDraft(eventCode: string): Promise<DraftView> {
    const { event } = await this.events.find(eventCode);
    const draft = await this.db.models.EventDraft.findByPk(event.id);
    return this.view(event, draft);
  }

  private async lockDraft(
    event: Event,
    expectedRevision: number,
    transaction: Transaction,
  ): Promise<EventDraft | null> {
    const draft = await this.db.models.EventDraft.findByPk(event.id, {
      transaction,
      lock: transaction.LOCK.UPDATE,
    });
    const revision = draft?.revision ?? 0;
    if (revision !== expectedRevision) {
      throw new TesseraError(
        'draft_conflict',
        `活动设置已被他人修改（草稿第 ${revision} 版，你编辑的是第 ${expectedRevision} 版），请刷新后再改`,
        409,
        { revision },
      );
    }
    return draft;
  }

  /**
   * Saves changed JSON files into the draft (`null` deletes a file). Invalid content is saved
   * too, so no edit is lost; the returned issues say what must be fixed before publishing.
   */
  async saveDraft(
    eventCode: string,
    change: { revision: number; files: Record<string, unknown> },
    actor: Actor,
  ): Promise<DraftView> {
    const { event } = await this.events.find(eventCode);
    if (!isObject(change.files) || Object.keys(change.files).length === 0) {
      throw new TesseraError('invalid_request', '请求缺少 files（要保存的文件）');
    }
    const saved = await this.writeDraft(event, change.revision, actor, (files) => {
      const manifestBefore = files['plugin.json'] as PluginManifest;
      for (const [path, content] of Object.entries(change.files)) {
        if (path.startsWith('assets/') || !path.endsWith('.json') || path.includes('..')) {
          throw new TesseraError(
            'invalid_path',
            `不能在这里修改文件 "${path}"（只能保存插件内的 JSON 文件）`,
          );
        }
        if (content === null) {
          if (path === 'plugin.json') throw new TesseraError('invalid_path', 'plugin.json 不能删除');
          delete files[path];
        } else if (isObject(content)) files[path] = content;
        else throw new TesseraError('invalid_request', `文件 "${path}" 的内容应为 JSON 对象`);
      }
      const manifest = files['plugin.json'] as PluginManifest;
      if (manifest?.event?.code !== manifestBefore.event.code || manifest.code !== manifestBefore.code) {
        throw new TesseraError(
          'event_code_fixed',
          `活动代码 (${manifestBefore.event.code}) 和插件代码 (${manifestBefore.code}) 创建后不能修改`,
          422,
        );
      }
      return reconcileDraft(files);
    });
    return this.view(event, saved);
  }

  /**
   * One change of the draft under its lock: `change` gets the JSON files and the assets of the
   * draft (or of the published version when there is no draft yet), may change the assets in place
   * and returns the JSON files to keep. The revision must be the one the editor saw.
   */
  private async writeDraft(
    event: Event,
    revision: number,
    actor: Actor,
    change: (files: DraftFiles, assets: Record<string, { base64: string; mediaType: string }>) => DraftFiles,
  ): Promise<EventDraft> {
    return this.db.sequelize.transaction(async (transaction) => {
      const draft = await this.lockDraft(event, revision, transaction);
      const baseRow = draft ? null : await this.db.models.PluginVersion.findByPk(event.pluginVersionId);
      const { files, assets } = splitBundle((draft?.bundle ?? baseRow!.bundle) as PluginBundleJson);
      const bundle = joinBundle(change(files, assets), assets);
      if (draft) {
        draft.bundle = bundle;
        draft.revision = draft.revision + 1;
        draft.updatedBy = actor.userId;
        draft.changed('bundle', true);
        await draft.save({ transaction });
        return draft;
      }
      return this.db.models.EventDraft.create(
        { eventId: event.id, baseVersionId: event.pluginVersionId, bundle, updatedBy: actor.userId },
        { transaction },
      );
    });
  }

  /**
   * Puts a file under assets/ into the draft (card artwork from the card designer). The path and
   * content were checked by the caller; an existing file of that path is replaced.
   */
  async saveDraftAsset(
    eventCode: string,
    change: { revision: number; path: string; bytes: Uint8Array; mediaType: string },
    actor: Actor,
  ): Promise<DraftView> {
    const { event } = await this.events.find(eventCode);
    if (!/^assets\/[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(change.path)) {
      throw new TesseraError('invalid_path', `资源文件名 "${change.path}" 无效`);
    }
    const saved = await this.writeDraft(event, change.revision, actor, (files, assets) => {
      assets[change.path] = {
        base64: Buffer.from(change.bytes).toString('base64'),
        mediaType: change.mediaType,
      };
      return files;
    });
    await this.audit.record(
      'event_asset_upload',
      actor,
      { type: 'event', id: event.code, eventId: event.id },
      { path: change.path, bytes: change.bytes.byteLength },
    );
    return this.view(event, saved);
  }

  /**
   * What the editors work on: the draft's bundle when there is one, else the published version's,
   * with the revision to send back when saving.
   */
  async workingCopy(eventCode: string): Promise<{
    event: Event;
    revision: number;
    source: 'draft' | 'published';
    bundle: PluginBundleJson;
  }> {
    const { event } = await this.events.find(eventCode);
    const draft = await this.db.models.EventDraft.findByPk(event.id);
    if (draft)
      return { event, revision: draft.revision, source: 'draft', bundle: draft.bundle as PluginBundleJson };
    const current = await this.db.models.PluginVersion.findByPk(event.pluginVersionId);
    if (!current) throw new Error(`plugin version ${event.pluginVersionId} missing`);
    return { event, revision: 0, source: 'published', bundle: current.bundle as PluginBundleJson };
  }

  async discardDraft(eventCode: string, actor: Actor): Promise<DraftView> {
    const { event } = await this.events.find(eventCode);
    const removed = await this.db.models.EventDraft.destroy({ where: { eventId: event.id } });
    if (removed)
      await this.audit.record('event_draft_discard', actor, {
        type: 'event',
        id: event.code,
        eventId: event.id,
      });
    return this.view(event, null);
  }

  /** Puts a validated plugin in force for an event: a new stored version, the event switched to it. */
  private async activate(
    event: Event,
    plugin: LoadedPlugin,
    source: 'designer' | 'import',
    actor: Actor,
  ): Promise<VersionView> {
    const version = await this.store.store(plugin, source, actor.userId);
    await event.update({ pluginVersionId: version.id, name: plugin.manifest.event.name });
    this.events.forget(event.code);
    await this.audit.record(
      source === 'import' ? 'event_import' : 'event_publish',
      actor,
      { type: 'event', id: event.code, eventId: event.id },
      { version: version.version, declaredVersion: version.declaredVersion, checksum: version.checksum },
    );
    return {
      version: version.version,
      declaredVersion: version.declaredVersion,
      source: version.source,
      createdAt: version.createdAt.toISOString(),
      createdBy: actor.username ?? null,
      current: true,
    };
  }

  /** Publishes the draft as the event's new plugin version; refused while it has errors. */
  async publish(eventCode: string, expectedRevision: number, actor: Actor): Promise<VersionView> {
    const { event } = await this.events.find(eventCode);
    return this.db.sequelize.transaction(async (transaction) => {
      const draft = await this.lockDraft(event, expectedRevision, transaction);
      if (!draft) throw new TesseraError('no_draft', '没有待发布的修改', 409);
      const bundle = structuredClone(draft.bundle) as PluginBundleJson;
      const manifest = bundle.files['plugin.json'] as unknown as PluginManifest;
      const base = await this.db.models.PluginVersion.findByPk(draft.baseVersionId, { transaction });
      if (base && manifest.version === base.declaredVersion) manifest.version = nextVersion(manifest.version);
      const { plugin, issues } = validate(bundle, `draft ${event.code}`);
      if (!plugin) {
        throw invalidPlugin(`活动设置还有 ${issues.errors.length} 个问题，改正后才能发布`, issues);
      }
      const published = await this.activate(event, plugin, 'designer', actor);
      await draft.destroy({ transaction });
      return published;
    });
  }

  /** The published version as a single-JSON bundle (schemas/plugin-bundle.schema.json). */
  async exportBundle(
    eventCode: string,
    actor: Actor,
  ): Promise<{ fileName: string; bundle: PluginBundleJson }> {
    const { event, plugin } = await this.events.find(eventCode);
    await this.audit.record('event_export', actor, { type: 'event', id: event.code, eventId: event.id });
    return {
      fileName: `${event.code}-v${plugin.version}.tessera.json`,
      bundle: bundleToJson(plugin.bundle, {
        exportedAt: new Date().toISOString(),
        checksum: plugin.checksum,
      }),
    };
  }

  /**
   * Imports a bundle: a new event when its event code is new; with `into`, a new version of that
   * existing event (the bundle's event code must match). The plugin code is rewritten to the
   * event's own, so a bundle exported elsewhere never collides with a bundled plugin.
   */
  async importBundle(
    json: unknown,
    opts: { into?: string },
    actor: Actor,
  ): Promise<{ event: Event; version: VersionView; created: boolean }> {
    const first = validate(json as PluginBundleJson, 'upload');
    if (!first.plugin)
      throw invalidPlugin(`插件包未通过校验（${first.issues.errors.length} 个问题）`, first.issues);
    const eventCode = first.plugin.manifest.event.code;
    const existing = await this.db.models.Event.findOne({ where: { code: eventCode } });
    if (opts.into && opts.into !== eventCode) {
      throw new TesseraError(
        'event_mismatch',
        `插件包属于活动 ${eventCode}，不能导入到活动 ${opts.into}`,
        422,
      );
    }
    if (existing && !opts.into) {
      throw new TesseraError(
        'event_exists',
        `活动 ${eventCode} 已存在；要用这个插件包更新它，请到该活动的“发布与版本”页导入`,
        409,
      );
    }
    const pluginCode = existing ? existing.pluginCode : await this.pluginCodeFor(eventCode);
    const { files, assets } = splitBundle(structuredClone(bundleToJson(first.plugin.bundle)));
    (files['plugin.json'] as PluginManifest).code = pluginCode;
    const { plugin, issues } = validate(joinBundle(files, assets), 'upload');
    if (!plugin) throw invalidPlugin('插件包未通过校验', issues);
    if (existing) {
      await this.db.models.EventDraft.destroy({ where: { eventId: existing.id } });
      return {
        event: existing,
        version: await this.activate(existing, plugin, 'import', actor),
        created: false,
      };
    }
    const version = await this.store.store(plugin, 'import', actor.userId);
    const event = await this.db.models.Event.create({
      code: eventCode,
      name: plugin.manifest.event.name,
      pluginCode,
      pluginVersionId: version.id,
    });
    await this.audit.record(
      'event_import',
      actor,
      { type: 'event', id: event.code, eventId: event.id },
      { version: version.version },
    );
    return {
      event,
      created: true,
      version: {
        version: version.version,
        declaredVersion: version.declaredVersion,
        source: version.source,
        createdAt: version.createdAt.toISOString(),
        createdBy: actor.username ?? null,
        current: true,
      },
    };
  }

  async versions(eventCode: string): Promise<VersionView[]> {
    const { event } = await this.events.find(eventCode);
    const rows = await this.db.models.PluginVersion.findAll({
      where: { pluginCode: event.pluginCode },
      order: [['version', 'DESC']],
    });
    const userIds = [...new Set(rows.map((r) => r.createdBy).filter((id): id is number => id !== null))];
    const users = userIds.length ? await this.db.models.User.findAll({ where: { id: userIds } }) : [];
    return rows.map((r) => ({
      version: r.version,
      declaredVersion: r.declaredVersion,
      source: r.source,
      createdAt: r.createdAt.toISOString(),
      createdBy: users.find((u) => u.id === r.createdBy)?.username ?? null,
      current: r.id === event.pluginVersionId,
    }));
  }
}
