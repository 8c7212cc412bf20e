import ExcelJS from 'exceljs';
import { QueryTypes, type Transaction } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { SessionUser } from '../auth/accounts.ts';
import type { SensitiveData } from '../crypto/sensitive.ts';
import { maskIdNumber, maskIdNumbersIn } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import { pageNumber } from '../db/query-input.ts';
import { toExcelCsv } from '../export/sheet-safety.ts';
import { TesseraError } from '../errors.ts';
import { unitIdFor } from '../units.ts';
import type { Events } from '../events/events.ts';
import type { BlobStore } from '../photos/blob-store.ts';
import type { Photos } from '../photos/photos.ts';
import type { LoadedPlugin, MappingProfile } from '../plugins/index.ts';
import { ID_FIELD, type Records } from '../records/records.ts';
import { backgroundTurn, eventLoopSlices } from '../concurrency.ts';
import { validateRecordValues } from '../records/validate-record.ts';
import type { TaskProgress, Tasks, TaskView } from '../tasks/tasks.ts';
import type { MappingProfiles } from './profiles.ts';
import type {
  BatchCounts,
  BatchView,
  CommitReport,
  FieldIssue,
  MappingPreview,
  RowStatus,
  RowView,
  StagedRowSummary,
} from './views.ts';

export type * from './views.ts';
import { detectHeader } from './header.ts';
import { applyProfile, headerScore, matchColumns, readTemplateMeta, suggestProfile } from './mapping.ts';
import { matchPhotos, type PhotoReview } from './photo-match.ts';
import { readImportFiles, type ImportFiles } from './read/files.ts';
import type { WorkbookReader } from './read/index.ts';
import { readWorkbookInWorker } from './read/in-worker.ts';
import {
  DEFAULT_IMPORT_LIMITS,
  ImportFileError,
  type ImportIssue,
  type ImportLimits,
  type SheetImage,
  type SheetRow,
  type SheetTable,
  type ZipPhotoFile,
} from './types.ts';

type Actor = SessionUser & { ip?: string };

export interface StageInput {
  eventCode: string;
  kind: string;
  unitCode?: string;
  fileName: string;
  bytes: Uint8Array;
  /** A mapping to use instead of the suggested one (an edited profile). */
  profile?: MappingProfile;
  /** A named profile (saved or the plugin's) to use instead of the suggested one. */
  profileCode?: string;
  /** The sheet to read, by name; default: chosen by the profile, the kind, or the first. */
  sheet?: string;
  /** A dry run (CLI) may check a file for no unit: quotas are then not checked, and it cannot be committed. */
  withoutUnit?: boolean;
}

const SHEET_HINTS: Record<string, RegExp> = { person: /人员|人|person/i, vehicle: /车辆|车|vehicle/i };
const CHUNK = 500;

interface StagedRow {
  sheet: string;
  row: number;
  raw: Record<string, string>;
  values: Record<string, unknown>;
  errors: Record<string, FieldIssue[]>;
  warnings: Record<string, FieldIssue[]>;
  /** The matched photo, read when stored (a zip's photos are inflated one by one). */
  photo?: { read: () => Promise<Uint8Array>; name: string | null; source: string };
  photoId?: string | null;
  photoSource?: string | null;
  photoFile?: string | null;
}

const addIssue = (map: Record<string, FieldIssue[]>, field: string, issue: FieldIssue) => {
  (map[field] ??= []).push(issue);
};
const ROW_STATUSES: readonly RowStatus[] = ['valid', 'invalid', 'deleted', 'committed', 'rejected'];
/** A `status` query (comma-separated) checked against the row statuses. */
const knownStatuses = (text: string): RowStatus[] => {
  const list = text.split(',').map((s) => s.trim());
  const unknown = list.filter((s) => !ROW_STATUSES.includes(s as RowStatus));
  if (unknown.length > 0)
    throw new TesseraError(
      'invalid_status',
      `未知的行状态：${unknown.join('、')}；可选 ${ROW_STATUSES.join('、')}`,
      422,
    );
  return list as RowStatus[];
};
const maskReview = (review: PhotoReview | Record<string, never>): PhotoReview | Record<string, never> =>
  'matched' in review
    ? {
        matched: review.matched.map((m) => ({ ...m, file: m.file ? maskIdNumbersIn(m.file) : null })),
        unmatchedFiles: review.unmatchedFiles.map(maskIdNumbersIn),
        ambiguous: review.ambiguous.map((a) => ({
          ...a,
          files: a.files.map(maskIdNumbersIn),
          reason: maskIdNumbersIn(a.reason),
        })),
        rowsWithoutPhoto: review.rowsWithoutPhoto,
      }
    : review;
/**
 * What the event already holds of one person (same ID number), gathered in SQL: whether the
 * importing unit declared them, and which other units did. One row per person however many
 * records share the number (the load test's package, imported into a new unit each run, made
 * thousands of rows per import and held the server's thread for 0.4 s).
 */
interface PersonInEvent {
  own: boolean | null;
  others: string[] | null;
}

/** SQL columns of a PersonInEvent over records `r` joined to units `u`, for the unit `:unitId`. */
const PERSON_IN_EVENT_SQL = `bool_or(r.unit_id = :unitId::bigint) AS own,
  array_agg(DISTINCT u.code ORDER BY u.code) FILTER (WHERE r.unit_id IS DISTINCT FROM :unitId::bigint) AS others`;

/**
 * A person already in the event: under the same unit it is a duplicate (an error); under another
 * unit it may be right (one person, two organisations) — a warning, and the reviewer sees both.
 */
function flagPersonInEvent(
  r: Pick<StagedRow, 'errors' | 'warnings'>,
  idField: string,
  found: PersonInEvent | undefined,
): void {
  if (found?.own) {
    addIssue(r.errors, idField, {
      code: 'duplicate-in-event',
      message: `本单位在本活动中已申报过此人（证件号码相同）`,
    });
    return;
  }
  const others = found?.others ?? [];
  if (others.length > 0) {
    addIssue(r.warnings, idField, {
      code: 'declared-by-other-unit',
      message: `单位 ${others.join('、')} 也申报了此人，审核时会一并提示`,
    });
  }
}
const isEmpty = (m: Record<string, unknown[]>) => Object.keys(m).length === 0;

/**
 * The import pipeline (信息采集): an upload (xlsx, csv, or a zip of sheets and photos) becomes a
 * staging batch — rows mapped onto the event's form and checked with the shared rules, duplicates
 * and quotas flagged, photos matched — that people prune online and then commit exactly: every
 * source row ends committed, deleted by a named person, or rejected with its reasons.
 */
export class Imports {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly records: Records,
    private readonly photos: Photos,
    private readonly blobs: BlobStore,
    private readonly sensitive: SensitiveData,
    private readonly audit: AuditLog,
    private readonly tasks: Tasks,
    private readonly profiles: MappingProfiles,
    private readonly limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
    /** Where workbooks are parsed: a worker thread, so a big sheet never stalls other users. */
    private readonly parseWorkbook: WorkbookReader = readWorkbookInWorker,
  ) {}

  // ---------------------------------------------------------------------------------------
  // Staging

  /** Starts staging an upload as a task; returns the batch (status `staging`) and the task. */
  async startStaging(input: StageInput, actor: Actor): Promise<{ batch: BatchView; task: TaskView }> {
    const { event, plugin } = await this.events.find(input.eventCode);
    if (!plugin.forms[input.kind]) {
      throw new TesseraError('unknown_record_kind', `本活动没有"${input.kind}"类记录`, 422);
    }
    if (input.bytes.byteLength > this.limits.maxFileBytes) {
      throw new TesseraError(
        'file_too_large',
        `文件超过 ${Math.round(this.limits.maxFileBytes / 1048576)} MB`,
        413,
      );
    }
    const unitId = input.withoutUnit && !input.unitCode ? null : await this.unitFor(actor, input.unitCode);
    // The original is kept untouched: the batch can be re-read with another mapping, and the
    // office can always see exactly what was sent.
    const sha = await this.blobs.put(input.bytes);
    const [row] = await this.db.sequelize.query<{ id: string }>(
      `INSERT INTO import_batches (event_id, unit_id, kind, status, file_name, file_sha256, file_bytes,
                                   plugin_version_id, created_by)
       VALUES (:eventId, :unitId, :kind, 'staging', :fileName, :sha, :bytes, :pluginVersionId, :createdBy)
       RETURNING id`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          eventId: event.id,
          unitId,
          kind: input.kind,
          fileName: input.fileName.slice(0, 255),
          sha,
          bytes: input.bytes.byteLength,
          pluginVersionId: event.pluginVersionId,
          createdBy: actor.id,
        },
      },
    );
    const batchId = Number(row!.id);
    const task = await this.tasks.start(
      { type: 'import-stage', eventId: event.id, unitId, createdBy: actor.id },
      (progress) => this.stage(batchId, plugin, input, actor, progress),
    );
    await this.db.sequelize.query('UPDATE import_batches SET task_id = :task WHERE id = :id', {
      replacements: { task: task.id, id: batchId },
    });
    await this.audit.record(
      'import_upload',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'import', id: batchId, eventId: event.id },
      { fileName: input.fileName, bytes: input.bytes.byteLength, kind: input.kind },
    );
    return { batch: await this.batch(batchId, actor), task };
  }

  private unitFor(actor: Actor, unitCode: string | undefined): Promise<number> {
    return unitIdFor(this.db, actor, unitCode, '导入');
  }

  private pickSheet(sheets: SheetTable[], input: StageInput, profile?: MappingProfile): SheetTable {
    if (input.sheet) {
      const named = sheets.find((s) => s.name === input.sheet);
      if (!named) {
        throw new TesseraError(
          'sheet_not_found',
          `没有名为“${input.sheet}”的工作表，可选：${sheets.map((s) => s.name).join('、')}`,
          422,
        );
      }
      return named;
    }
    const selector = profile?.sheet;
    if (selector?.name) {
      const named = sheets.find((s) => s.name === selector.name);
      if (named) return named;
    }
    if (selector?.pattern) {
      const re = new RegExp(selector.pattern, 'u');
      const matched = sheets.find((s) => re.test(s.name));
      if (matched) return matched;
    }
    const hint = SHEET_HINTS[input.kind];
    const other = Object.entries(SHEET_HINTS)
      .filter(([k]) => k !== input.kind)
      .map(([, re]) => re);
    const byName = hint
      ? sheets.find((s) => hint.test(s.name) && !other.some((re) => re.test(s.name)))
      : undefined;
    const first = byName ?? sheets.find((s) => s.rows.length > 0) ?? sheets[0];
    if (!first) throw new TesseraError('no_sheet', '文件中没有工作表', 422);
    return first;
  }

  /** The staging task: read, find the header, map, check, match photos, write rows. */
  private async stage(
    batchId: number,
    plugin: LoadedPlugin,
    input: StageInput,
    actor: Actor,
    task: TaskProgress,
  ): Promise<{ batchId: number; counts: BatchCounts }> {
    try {
      return await this.stageUnsafe(batchId, plugin, input, actor, task);
    } catch (error) {
      const message =
        error instanceof ImportFileError || error instanceof TesseraError
          ? error.message
          : `读取文件时出错：${(error as Error).message}`;
      await this.db.sequelize.query(
        `UPDATE import_batches SET status = 'failed', notes = :notes::jsonb, updated_at = now() WHERE id = :id`,
        {
          replacements: {
            id: batchId,
            notes: JSON.stringify([{ code: (error as { code?: string }).code ?? 'read-failed', message }]),
          },
        },
      );
      if (error instanceof ImportFileError) throw new TesseraError(error.code, error.message, 422);
      throw error;
    }
  }

  private async stageUnsafe(
    batchId: number,
    plugin: LoadedPlugin,
    input: StageInput,
    actor: Actor,
    task: TaskProgress,
  ): Promise<{ batchId: number; counts: BatchCounts }> {
    const [batch] = await this.db.sequelize.query<{ event_id: string; unit_id: string | null }>(
      'SELECT event_id, unit_id FROM import_batches WHERE id = :id',
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    const eventId = Number(batch!.event_id);
    const unitId = batch!.unit_id === null ? null : Number(batch!.unit_id);
    task.progress(0, null, '读取文件');
    await task.yieldNow();
    const files = await this.readFiles(input.bytes, input.fileName);
    try {
      return await this.stageRead(batchId, plugin, input, actor, task, files, { eventId, unitId });
    } finally {
      files.close();
    }
  }

  private async stageRead(
    batchId: number,
    plugin: LoadedPlugin,
    input: StageInput,
    actor: Actor,
    task: TaskProgress,
    files: ImportFiles,
    scope: { eventId: number; unitId: number | null },
  ): Promise<{ batchId: number; counts: BatchCounts }> {
    const { sheets, hiddenSheets, zipPhotos, notes } = files;
    const { eventId, unitId } = scope;
    const kind = input.kind;
    const form = plugin.forms[kind]!;

    const { sheet, header, profile, profileCode, matched, columns } = await this.mapSheet(
      plugin,
      input,
      { eventId, unitId },
      sheets,
      hiddenSheets,
      notes,
    );

    // Rows: mapping, then the shared rules (the same the record form uses).
    const total = header.dataRows.length;
    task.progress(0, total, '校验数据');
    const context = {
      kind,
      cardTypes: plugin.cardTypes,
      zones: plugin.manifest.event.zones.map((z) => z.code),
    };
    const idField = ID_FIELD[kind];
    const staged: StagedRow[] = [];
    // By time, not by rows: 200 rows took 0.7 s on a busy server, every user's request waiting.
    const pause = eventLoopSlices();
    for (const [i, dataRow] of header.dataRows.entries()) {
      staged.push(this.checkRow(form, context, header.headers, profile, matched, sheet.name, dataRow));
      if (i % 200 === 199) task.progress(i + 1, total);
      await pause();
    }
    task.progress(total, total);

    // Photos: pasted into the sheet, or in the zip by file-name column, ID number or name.
    const photoField = Object.entries(form.properties).find(([, f]) => f?.['x-widget'] === 'photo')?.[0];
    const review = this.attachPhotos(staged, sheet.images, zipPhotos, idField, photoField);
    if (photoField) {
      const withPhoto = staged.filter((r) => r.photo);
      task.progress(0, withPhoto.length, '处理照片');
      const rules = await this.photos.rules(input.eventCode);
      const stored = await this.photos.storeImportedMany(
        withPhoto.map((r) => ({ read: r.photo!.read, originalName: r.photo!.name })),
        rules,
        { eventId, unitId, createdBy: actor.id },
        (done) => task.progress(done, withPhoto.length),
      );
      withPhoto.forEach((r, i) => {
        const result = stored[i]!;
        if (result instanceof Error) {
          addIssue(r.errors, photoField, {
            code: 'photo-invalid',
            message: `照片${r.photo!.name ? `“${r.photo!.name}”` : ''}不可用：${result.message}`,
          });
        } else {
          r.photoId = result.id;
          // The form's "photo required" warning was about the empty cell: the photo came from elsewhere.
          delete r.warnings[photoField];
          r.photoSource = r.photo!.source;
          r.photoFile = r.photo!.name;
        }
        delete r.photo;
      });
    }

    task.progress(0, total, '查重与配额');
    await this.flagDuplicatesAndQuota(staged, { eventId, unitId, kind, plugin, idField });

    task.progress(0, total, '保存暂存数据');
    await this.db.sequelize.transaction(async (transaction) => {
      for (let i = 0; i < staged.length; i += CHUNK) {
        await backgroundTurn();
        await this.insertRows(batchId, staged.slice(i, i + CHUNK), idField, transaction);
        task.progress(Math.min(i + CHUNK, total), total);
      }
      await this.db.sequelize.query(
        `UPDATE import_batches SET status = 'staged', sheet_name = :sheet, header_row = :headerRow,
                headers = :headers::jsonb, mapping = :mapping::jsonb, columns = :columns::jsonb,
                notes = :notes::jsonb, photo_review = :review::jsonb, profile_code = :profileCode,
                sheet_names = :sheetNames::jsonb, updated_at = now()
          WHERE id = :id`,
        {
          transaction,
          replacements: {
            id: batchId,
            sheet: sheet.name,
            headerRow: header.headerRow,
            headers: JSON.stringify(header.headers),
            mapping: JSON.stringify(profile),
            columns: JSON.stringify(columns),
            notes: JSON.stringify(notes),
            review: JSON.stringify(review),
            profileCode,
            sheetNames: JSON.stringify(sheets.map((s) => s.name)),
          },
        },
      );
    });
    const counts = await this.refreshCounts(batchId, header.skipped.length, review);
    return { batchId, counts };
  }

  /**
   * A sample file read with a mapping, nothing stored: what the mapping page shows while a
   * profile is being made — the header found, each column's field, and the first rows checked.
   */
  async preview(
    input: Omit<StageInput, 'withoutUnit'> & { rows?: number },
    actor: Actor,
  ): Promise<MappingPreview> {
    const { event, plugin } = await this.events.find(input.eventCode);
    const form = plugin.forms[input.kind];
    if (!form) throw new TesseraError('unknown_record_kind', `本活动没有"${input.kind}"类记录`, 422);
    const unitId =
      actor.role === 'unit'
        ? (actor.unit?.id ?? null)
        : input.unitCode
          ? await this.unitFor(actor, input.unitCode)
          : null;
    const files = await this.readFiles(input.bytes, input.fileName);
    files.close();
    const { sheets, hiddenSheets, notes } = files;
    const m = await this.mapSheet(plugin, input, { eventId: event.id, unitId }, sheets, hiddenSheets, notes);
    const context = {
      kind: input.kind,
      cardTypes: plugin.cardTypes,
      zones: plugin.manifest.event.zones.map((z) => z.code),
    };
    const idField = ID_FIELD[input.kind];
    const rows = m.header.dataRows.slice(0, input.rows ?? 20).map((dataRow) => {
      const r = this.checkRow(form, context, m.header.headers, m.profile, m.matched, m.sheet.name, dataRow);
      const values = { ...r.values };
      if (idField && typeof values[idField] === 'string') values[idField] = maskIdNumber(values[idField]);
      return {
        row: r.row,
        values,
        errors: Object.entries(r.errors).flatMap(([field, list]) => list.map((i) => ({ field, ...i }))),
      };
    });
    return {
      sheets: sheets.map((s) => s.name),
      sheet: m.sheet.name,
      headerRow: m.header.headerRow,
      headers: m.header.headers,
      columns: m.columns,
      profile: m.profile,
      profileCode: m.profileCode,
      unmatchedRequired: m.suggestion?.unmatchedRequired ?? [],
      dataRows: m.header.dataRows.length,
      notes,
      rows,
    };
  }

  /** Reads an upload, workbooks parsed off the event loop; an ImportFileError becomes a 422. */
  private async readFiles(bytes: Uint8Array, fileName: string): Promise<ImportFiles> {
    try {
      return await readImportFiles(bytes, fileName, this.limits, this.parseWorkbook);
    } catch (error) {
      if (error instanceof ImportFileError) throw new TesseraError(error.code, error.message, 422);
      throw error;
    }
  }

  /** Picks the sheet, finds its header and settles the mapping (given, named, or suggested). */
  private async mapSheet(
    plugin: LoadedPlugin,
    input: StageInput,
    scope: { eventId: number; unitId: number | null },
    sheets: SheetTable[],
    hiddenSheets: SheetTable[],
    notes: ImportIssue[],
  ) {
    const kind = input.kind;
    const form = plugin.forms[kind]!;
    const { profiles } = await this.profiles.forStaging(scope.eventId, plugin, kind, scope.unitId);
    let chosen = input.profile;
    if (!chosen && input.profileCode) {
      chosen = profiles.find((p) => p.code === input.profileCode);
      if (!chosen) throw new TesseraError('profile_not_found', `映射方案 "${input.profileCode}" 不存在`, 422);
    }
    const sheet = this.pickSheet(sheets, input, chosen ?? profiles[0]);
    const header = detectHeader(sheet, headerScore(form, chosen ? [chosen] : profiles));
    const suggestion = chosen
      ? null
      : suggestProfile(form, kind, header.headers, {
          profiles,
          cardTypes: plugin.cardTypes,
          zones: plugin.manifest.event.zones,
          template: readTemplateMeta([...sheets, ...hiddenSheets]),
        });
    const profile: MappingProfile = chosen ?? suggestion!.profile;
    const profileCode = input.profile
      ? (input.profileCode ?? null)
      : (input.profileCode ?? suggestion?.basedOn ?? null);
    const matched = matchColumns(profile, header.headers);
    for (const m of matched.missing.filter((x) => x.required)) {
      notes.push({
        code: 'missing-column',
        sheet: sheet.name,
        message: `表格中找不到“${m.headers.join('/')}”列（${m.field}），请检查表头或调整映射方案`,
      });
    }
    for (const s of header.skipped) {
      const why = {
        title: '表头上方的标题或说明',
        blank: '空行',
        instructions: '表格末尾的填表说明',
        'repeated-header': '重复的表头',
      }[s.reason];
      notes.push({
        code: `skipped-${s.reason}`,
        sheet: sheet.name,
        row: s.row,
        message: `第 ${s.row} 行：${why}，已跳过`,
      });
    }
    const fieldOfCol = new Map(matched.columns.map((c) => [c.col, c.field]));
    const columns = header.headers.map((text, col) => {
      const detail = suggestion?.columns.find((c) => c.col === col);
      return {
        col,
        header: text,
        field: fieldOfCol.get(col) ?? null,
        ...(detail ? { source: detail.source, confidence: detail.confidence } : {}),
      };
    });

    return { sheet, header, profile, profileCode, matched, columns, suggestion };
  }

  private checkRow(
    form: LoadedPlugin['forms'][string],
    context: Parameters<typeof validateRecordValues>[2],
    headers: string[],
    profile: MappingProfile,
    matched: ReturnType<typeof matchColumns>,
    sheet: string,
    dataRow: SheetRow,
  ): StagedRow {
    const raw: Record<string, string> = {};
    headers.forEach((h, col) => {
      const cell = dataRow.cells[col];
      if (cell && cell.text !== '') raw[h || `第${col + 1}列`] = cell.text;
    });
    const mapped = applyProfile(profile, matched, dataRow, { form });
    const checked = validateRecordValues(form!, mapped.values, context);
    const errors: Record<string, FieldIssue[]> = {};
    for (const issue of mapped.issues)
      addIssue(errors, issue.field, { code: issue.code, message: issue.message });
    for (const [field, issues] of Object.entries(checked.fields)) {
      // A mapping problem (a number that lost digits, a value not in the map) is the clearer message.
      if (errors[field]) continue;
      for (const issue of issues) addIssue(errors, field, issue);
    }
    const warnings: Record<string, FieldIssue[]> = {};
    for (const [field, issues] of Object.entries(
      (checked as { warnings?: Record<string, FieldIssue[]> }).warnings ?? {},
    )) {
      for (const issue of issues) addIssue(warnings, field, issue);
    }
    return { sheet, row: dataRow.row, raw, values: checked.values, errors, warnings };
  }

  private attachPhotos(
    rows: StagedRow[],
    images: SheetImage[],
    files: ZipPhotoFile[],
    idField: string | undefined,
    photoField: string | undefined,
  ): PhotoReview {
    if (!photoField) {
      return { matched: [], unmatchedFiles: files.map((f) => f.name), ambiguous: [], rowsWithoutPhoto: [] };
    }
    const imageByRow = new Map<number, SheetImage>();
    for (const image of images) if (!imageByRow.has(image.row)) imageByRow.set(image.row, image);
    const review = matchPhotos(
      rows.map((r) => ({
        row: r.row,
        idNumber:
          idField && typeof r.values[idField] === 'string' && !r.errors[idField]
            ? (r.values[idField] as string)
            : null,
        name:
          typeof r.values.name === 'string'
            ? r.values.name
            : typeof r.values.driverName === 'string'
              ? r.values.driverName
              : null,
        fileName: typeof r.values[photoField] === 'string' ? (r.values[photoField] as string) : null,
        embedded: imageByRow.has(r.row),
      })),
      files.map((f) => f.name),
    );
    const fileByName = new Map(files.map((f) => [f.name, f]));
    const rowByNumber = new Map(rows.map((r) => [r.row, r]));
    for (const m of review.matched) {
      const r = rowByNumber.get(m.row)!;
      const file = m.file ? fileByName.get(m.file) : undefined;
      const image = m.file ? undefined : imageByRow.get(m.row);
      if (file) r.photo = { read: () => file.read(), name: m.file, source: m.source };
      else if (image) r.photo = { read: async () => image.data, name: null, source: m.source };
    }
    for (const a of review.ambiguous) {
      addIssue(rowByNumber.get(a.row)!.warnings, photoField, {
        code: 'photo-ambiguous',
        message: `${a.reason}：${a.files.join('、')}`,
      });
    }
    // The photo field held a file name (or nothing); what the record stores is the photo id.
    for (const r of rows) {
      delete r.values[photoField];
      delete r.errors[photoField];
    }
    return review;
  }

  private async flagDuplicatesAndQuota(
    rows: StagedRow[],
    ctx: {
      eventId: number;
      unitId: number | null;
      kind: string;
      plugin: LoadedPlugin;
      idField: string | undefined;
    },
  ): Promise<void> {
    const { idField, kind } = ctx;
    const keyOf = (r: StagedRow): { key: string; label: string; field: string } | null => {
      if (kind === 'vehicle' && typeof r.values.plateNumber === 'string' && !r.errors.plateNumber) {
        return { key: r.values.plateNumber, label: '车牌', field: 'plateNumber' };
      }
      if (idField && typeof r.values[idField] === 'string' && !r.errors[idField]) {
        return { key: (r.values[idField] as string).toUpperCase(), label: '证件号码', field: idField };
      }
      return null;
    };
    // Within the batch: the second and later rows with a key are flagged, naming the first.
    const first = new Map<string, number>();
    for (const r of rows) {
      const k = keyOf(r);
      if (!k) continue;
      const earlier = first.get(k.key);
      if (earlier === undefined) first.set(k.key, r.row);
      else
        addIssue(r.errors, k.field, {
          code: 'duplicate-in-batch',
          message: `与第 ${earlier} 行${k.label}重复`,
        });
    }
    // Against records already in the event (any unit): one query for all keys.
    if (kind === 'vehicle') {
      const plates = [...first.keys()];
      if (plates.length) {
        const existing = await this.db.sequelize.query<{ plate_number: string; code: string }>(
          `SELECT r.plate_number, u.code FROM records r JOIN units u ON u.id = r.unit_id
            WHERE r.event_id = :eventId AND r.kind = 'vehicle' AND r.status <> 'deleted' AND r.plate_number IN (:plates)`,
          { type: QueryTypes.SELECT, replacements: { eventId: ctx.eventId, plates } },
        );
        const unitOf = new Map(existing.map((e) => [e.plate_number, e.code]));
        for (const r of rows) {
          const plate = r.values.plateNumber;
          if (typeof plate === 'string' && unitOf.has(plate) && !r.errors.plateNumber) {
            addIssue(r.errors, 'plateNumber', {
              code: 'duplicate-in-event',
              message: `本活动已有该车牌的记录（单位 ${unitOf.get(plate)}）`,
            });
          }
        }
      }
    } else if (idField) {
      const hashes = new Map<string, Buffer>();
      for (const key of first.keys()) hashes.set(key, this.sensitive.lookupHash(key));
      if (hashes.size) {
        const existing = await this.db.sequelize.query<PersonInEvent & { id_number_hash: Buffer }>(
          `SELECT r.id_number_hash, ${PERSON_IN_EVENT_SQL}
             FROM records r JOIN units u ON u.id = r.unit_id
            WHERE r.event_id = :eventId AND r.kind = :kind AND r.status <> 'deleted'
              AND r.id_number_hash = ANY(ARRAY[:hashes]::bytea[])
            GROUP BY r.id_number_hash`,
          {
            type: QueryTypes.SELECT,
            replacements: {
              eventId: ctx.eventId,
              kind,
              unitId: ctx.unitId,
              hashes: [...hashes.values()],
            },
          },
        );
        const byHash = new Map(existing.map((e) => [e.id_number_hash.toString('hex'), e]));
        for (const r of rows) {
          const id = r.values[idField];
          if (typeof id !== 'string' || r.errors[idField]) continue;
          flagPersonInEvent(r, idField, byHash.get(hashes.get(id.toUpperCase())?.toString('hex') ?? ''));
        }
      }
    }
    // Quota: per card type, what the unit already has plus this batch, against its quota.
    if (ctx.unitId === null) return;
    const unit = await this.db.models.Unit.findByPk(ctx.unitId);
    const used = await this.db.sequelize.query<{ card_type: string; n: string }>(
      `SELECT card_type, count(*) AS n FROM records
        WHERE event_id = :eventId AND unit_id = :unitId AND status NOT IN ('deleted', 'rejected') AND card_type IS NOT NULL
        GROUP BY card_type`,
      { type: QueryTypes.SELECT, replacements: { eventId: ctx.eventId, unitId: ctx.unitId } },
    );
    const count = new Map(used.map((u) => [u.card_type, Number(u.n)]));
    for (const r of rows) {
      const code = r.values.cardType;
      if (typeof code !== 'string' || !isEmpty(r.errors)) continue;
      const type = ctx.plugin.cardTypes.find((t) => t.code === code);
      const limit = (unit && type?.quota.byUnit?.[unit.code]) ?? type?.quota.perUnit ?? null;
      const n = (count.get(code) ?? 0) + 1;
      count.set(code, n);
      if (limit !== null && n > limit) {
        addIssue(r.warnings, 'cardType', {
          code: 'quota-exceeded',
          message: `${type?.name ?? code}超出本单位配额 ${limit} 个（这是第 ${n} 个），审核时可能不予通过`,
        });
      }
    }
  }

  private async insertRows(
    batchId: number,
    rows: StagedRow[],
    idField: string | undefined,
    transaction: Transaction,
  ) {
    if (rows.length === 0) return;
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      const values = { ...r.values };
      let secret: Buffer | null = null;
      let idHash: Buffer | null = null;
      if (idField && typeof values[idField] === 'string') {
        const id = values[idField] as string;
        secret = this.sensitive.encrypt(JSON.stringify({ [idField]: id }));
        if (!r.errors[idField]) {
          idHash = this.sensitive.lookupHash(id);
          values[idField] = maskIdNumber(id);
        } else values[idField] = maskIdNumber(id);
      }
      const status: RowStatus = isEmpty(r.errors) ? 'valid' : 'invalid';
      const base = params.length;
      params.push(
        batchId,
        r.sheet,
        r.row,
        status,
        this.sensitive.encrypt(JSON.stringify(r.raw)),
        JSON.stringify(values),
        secret,
        idHash,
        typeof r.values.plateNumber === 'string' ? r.values.plateNumber : null,
        typeof r.values.cardType === 'string' ? r.values.cardType : null,
        JSON.stringify(r.errors),
        JSON.stringify(r.warnings),
        r.photoId ?? null,
        r.photoSource ?? null,
        r.photoFile ?? null,
      );
      const p = (i: number) => `$${base + i}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::jsonb, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}::jsonb, ${p(12)}::jsonb, ${p(13)}::uuid, ${p(14)}, ${p(15)})`;
    });
    await this.db.sequelize.query(
      `INSERT INTO import_rows (batch_id, sheet, row_number, status, raw_enc, values, secret_enc, id_hash,
                                plate_number, card_type, errors, warnings, photo_id, photo_source, photo_file)
       VALUES ${tuples.join(', ')}`,
      { bind: params, transaction },
    );
  }

  private async refreshCounts(batchId: number, skipped?: number, review?: PhotoReview): Promise<BatchCounts> {
    const [row] = await this.db.sequelize.query<Record<string, string>>(
      `SELECT count(*) AS rows,
              count(*) FILTER (WHERE status = 'valid') AS valid,
              count(*) FILTER (WHERE status = 'invalid') AS invalid,
              count(*) FILTER (WHERE status = 'deleted') AS deleted,
              count(*) FILTER (WHERE status = 'committed') AS committed,
              count(*) FILTER (WHERE status = 'rejected') AS rejected,
              count(*) FILTER (WHERE photo_id IS NOT NULL) AS photos
         FROM import_rows WHERE batch_id = :id`,
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    const [previous] = await this.db.sequelize.query<{ counts: Partial<BatchCounts> }>(
      'SELECT counts FROM import_batches WHERE id = :id',
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    const counts: BatchCounts = {
      rows: Number(row!.rows),
      valid: Number(row!.valid),
      invalid: Number(row!.invalid),
      deleted: Number(row!.deleted),
      committed: Number(row!.committed),
      rejected: Number(row!.rejected),
      skipped: skipped ?? previous?.counts.skipped ?? 0,
      photosMatched: Number(row!.photos),
      photosUnmatched: review ? review.unmatchedFiles.length : (previous?.counts.photosUnmatched ?? 0),
    };
    await this.db.sequelize.query(
      'UPDATE import_batches SET counts = :counts::jsonb, updated_at = now() WHERE id = :id',
      {
        replacements: { id: batchId, counts: JSON.stringify(counts) },
      },
    );
    return counts;
  }

  // ---------------------------------------------------------------------------------------
  // Reading batches and rows

  private async batchRow(batchId: number, actor: Actor) {
    const [row] = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT b.*, e.code AS event_code, u.code AS unit_code, u.name AS unit_name,
              cu.username AS created_by_name, mu.username AS committed_by_name
         FROM import_batches b JOIN events e ON e.id = b.event_id LEFT JOIN units u ON u.id = b.unit_id
         LEFT JOIN users cu ON cu.id = b.created_by LEFT JOIN users mu ON mu.id = b.committed_by
        WHERE b.id = :id`,
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    // A unit user sees only its own unit's batches; others do not learn that it exists.
    if (!row || (actor.role === 'unit' && Number(row.unit_id) !== actor.unit?.id)) {
      throw new TesseraError('import_not_found', `导入批次 ${batchId} 不存在`, 404);
    }
    return row;
  }

  async batch(batchId: number, actor: Actor): Promise<BatchView> {
    const b = await this.batchRow(batchId, actor);
    return {
      id: Number(b.id),
      eventCode: b.event_code as string,
      unit: b.unit_code ? { code: b.unit_code as string, name: b.unit_name as string } : null,
      kind: b.kind as string,
      status: b.status as BatchView['status'],
      fileName: b.file_name as string,
      fileBytes: Number(b.file_bytes),
      sheet: (b.sheet_name as string | null) ?? null,
      headerRow: (b.header_row as number | null) ?? null,
      headers: b.headers as string[],
      mapping: (b.mapping as MappingProfile | null) ?? null,
      profileCode: (b.profile_code as string | null) ?? null,
      sheets: (b.sheet_names as string[] | null) ?? [],
      columns: b.columns as BatchView['columns'],
      counts: {
        rows: 0,
        valid: 0,
        invalid: 0,
        deleted: 0,
        committed: 0,
        rejected: 0,
        skipped: 0,
        photosMatched: 0,
        photosUnmatched: 0,
        ...(b.counts as Partial<BatchCounts>),
      },
      // File names often are ID numbers: masked like the numbers themselves.
      notes: (b.notes as ImportIssue[]).map((n) => ({
        ...n,
        message: maskIdNumbersIn(n.message),
        ...(n.file ? { file: maskIdNumbersIn(n.file) } : {}),
      })),
      photoReview: maskReview(b.photo_review as BatchView['photoReview']),
      taskId: (b.task_id as string | null) ?? null,
      createdAt: (b.created_at as Date).toISOString(),
      createdBy: (b.created_by_name as string | null) ?? null,
      committedAt: (b.committed_at as Date | null)?.toISOString() ?? null,
      committedBy: (b.committed_by_name as string | null) ?? null,
    };
  }

  async list(eventCode: string, actor: Actor): Promise<BatchView[]> {
    const { event } = await this.events.find(eventCode);
    const ids = await this.db.sequelize.query<{ id: string }>(
      `SELECT id FROM import_batches WHERE event_id = :eventId AND (:unitId::bigint IS NULL OR unit_id = :unitId::bigint)
        ORDER BY created_at DESC LIMIT 200`,
      {
        type: QueryTypes.SELECT,
        replacements: { eventId: event.id, unitId: actor.role === 'unit' ? (actor.unit?.id ?? -1) : null },
      },
    );
    return Promise.all(ids.map((r) => this.batch(Number(r.id), actor)));
  }

  async rows(
    batchId: number,
    actor: Actor,
    query: { status?: string; page?: number; pageSize?: number },
  ): Promise<{ rows: RowView[]; total: number; page: number; pageSize: number }> {
    await this.batchRow(batchId, actor);
    const pageSize = Math.min(Math.max(query.pageSize ?? 100, 1), 1000);
    const page = pageNumber(query.page);
    const statuses = query.status ? knownStatuses(query.status) : null;
    const rows = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT r.*, eu.username AS edited_by_name, du.username AS deleted_by_name, count(*) OVER () AS total
         FROM import_rows r
         LEFT JOIN users eu ON eu.id = r.edited_by
         LEFT JOIN users du ON du.id = r.deleted_by
        WHERE r.batch_id = :batchId AND (:statuses::text[] IS NULL OR r.status = ANY(:statuses::text[]))
        ORDER BY r.sheet, r.row_number LIMIT :limit OFFSET :offset`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          batchId,
          statuses: statuses ? `{${statuses.join(',')}}` : null,
          limit: pageSize,
          offset: (page - 1) * pageSize,
        },
      },
    );
    return {
      rows: rows.map((r) => this.rowView(r)),
      total: Number(rows[0]?.total ?? 0),
      page,
      pageSize,
    };
  }

  private rowView(r: Record<string, unknown>): RowView {
    const raw = JSON.parse(this.sensitive.decrypt(r.raw_enc as Buffer)) as Record<string, string>;
    const errors = r.errors as Record<string, FieldIssue[]>;
    // The sheet's own ID cell is shown only where it is wrong (the person fixing it needs to see
    // it); a valid one stays masked like everywhere else.
    for (const [header, text] of Object.entries(raw)) {
      if (
        /^\d{15}(\d{2}[\dXx])?$/.test(text.replace(/\s/g, '')) &&
        !Object.keys(errors).some((f) => /id|Id/.test(f))
      ) {
        raw[header] = maskIdNumber(text.replace(/\s/g, ''));
      }
    }
    return {
      id: Number(r.id),
      sheet: r.sheet as string,
      row: r.row_number as number,
      status: r.status as RowStatus,
      values: r.values as Record<string, unknown>,
      raw,
      errors,
      warnings: r.warnings as Record<string, FieldIssue[]>,
      photoId: (r.photo_id as string | null) ?? null,
      photoSource: (r.photo_source as string | null) ?? null,
      photoFile: r.photo_file ? maskIdNumbersIn(r.photo_file as string) : null,
      version: r.version as number,
      edited: r.edited_at
        ? { by: (r.edited_by_name as string | null) ?? null, at: (r.edited_at as Date).toISOString() }
        : null,
      deleted: r.deleted_at
        ? {
            by: (r.deleted_by_name as string | null) ?? null,
            at: (r.deleted_at as Date).toISOString(),
            reason: (r.delete_reason as string | null) ?? null,
          }
        : null,
      recordId: r.record_id === null ? null : Number(r.record_id),
      rejectReason: (r.reject_reason as string | null) ?? null,
    };
  }

  /**
   * The batch's rows as the office sent them, for the unit to fix and send again (默认：有问题的
   * 行): the sheet's own columns in its order, then the row number and what is wrong. The cells are
   * the sent ones, ID numbers in full — the person downloading is the one fixing them; audited.
   * xlsx cells are text; CSV cells are neutralised against formula injection.
   */
  async exportRows(
    batchId: number,
    actor: Actor,
    options: { status?: string; format?: 'xlsx' | 'csv' },
  ): Promise<{ fileName: string; contentType: string; body: Buffer }> {
    const b = await this.batchRow(batchId, actor);
    const statuses = knownStatuses(options.status ?? 'invalid,rejected');
    const rows = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT row_number, status, raw_enc, errors, delete_reason, reject_reason FROM import_rows
        WHERE batch_id = :batchId AND status = ANY(:statuses::text[]) ORDER BY sheet, row_number`,
      { type: QueryTypes.SELECT, replacements: { batchId, statuses: `{${statuses.join(',')}}` } },
    );
    const headers = (b.headers as string[]).map((h, col) => h || `第${col + 1}列`);
    const table: string[][] = [[...headers, '原表行号', '问题说明']];
    for (const r of rows) {
      const raw = JSON.parse(this.sensitive.decrypt(r.raw_enc as Buffer)) as Record<string, string>;
      const problems = Object.values(r.errors as Record<string, FieldIssue[]>)
        .flat()
        .map((i) => i.message);
      if (r.delete_reason) problems.push(`已删除：${r.delete_reason as string}`);
      table.push([...headers.map((h) => raw[h] ?? ''), String(r.row_number), problems.join('；')]);
    }
    await this.audit.record(
      'import_export_rows',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'import', id: batchId, eventId: Number(b.event_id) },
      { statuses, rows: rows.length, format: options.format ?? 'xlsx' },
    );
    const base = `${String(b.file_name).replace(/\.[^.]+$/, '')}-问题行`;
    if (options.format === 'csv') {
      return { fileName: `${base}.csv`, contentType: 'text/csv; charset=utf-8', body: toExcelCsv(table) };
    }
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('问题行', { views: [{ state: 'frozen', ySplit: 1 }] });
    table.forEach((cells, i) => {
      const row = ws.addRow(cells);
      if (i === 0) row.font = { bold: true };
    });
    // Text format throughout, so an ID number typed in again stays text.
    ws.columns.forEach((column, i) => {
      column.numFmt = '@';
      column.width =
        i === headers.length + 1 ? 60 : Math.min(Math.max((headers[i] ?? '').length * 2 + 4, 10), 24);
    });
    const problemCol = headers.length + 2;
    ws.getColumn(problemCol).font = { color: { argb: 'FFC00000' } };
    return {
      fileName: `${base}.xlsx`,
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      body: Buffer.from(await wb.xlsx.writeBuffer()),
    };
  }

  /**
   * Every row with its full normalised values (ID numbers unmasked) for the command line's
   * `--json`: the operator at the server's shell holds the file anyway; the web never gets this.
   */
  async summaries(batchId: number): Promise<StagedRowSummary[]> {
    const rows = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT row_number, status, values, secret_enc, errors, photo_id, photo_file FROM import_rows
        WHERE batch_id = :batchId ORDER BY sheet, row_number`,
      { type: QueryTypes.SELECT, replacements: { batchId } },
    );
    return rows.map((r) => {
      const values = { ...(r.values as Record<string, unknown>) };
      if (r.secret_enc) Object.assign(values, JSON.parse(this.sensitive.decrypt(r.secret_enc as Buffer)));
      return {
        row: r.row_number as number,
        status: r.status as RowStatus,
        values,
        errors: Object.entries(r.errors as Record<string, FieldIssue[]>).flatMap(([field, list]) =>
          list.map((i) => ({ field, code: i.code, message: i.message })),
        ),
        photo: (r.photo_file as string | null) ?? (r.photo_id ? 'embedded' : null),
      };
    });
  }

  /**
   * Reads the kept original again with another mapping (or sheet): a new batch replaces this one,
   * which is set aside. Online edits of the old batch do not carry over — the UI says so first.
   */
  async restage(
    batchId: number,
    change: { profile?: MappingProfile; profileCode?: string; sheet?: string },
    actor: Actor,
  ): Promise<{ batch: BatchView; task: TaskView }> {
    const b = await this.batchRow(batchId, actor);
    if (b.status !== 'staged' && b.status !== 'failed') await this.stagedBatch(batchId, actor);
    const sheets = (b.sheet_names as string[] | null) ?? [];
    // Checked before anything changes: a wrong name must not cost the batch being re-read.
    if (change.sheet && sheets.length > 0 && !sheets.includes(change.sheet)) {
      throw new TesseraError(
        'sheet_not_found',
        `没有名为“${change.sheet}”的工作表，可选：${sheets.join('、')}`,
        422,
      );
    }
    const bytes = await this.blobs.get(b.file_sha256 as string);
    const result = await this.startStaging(
      {
        eventCode: b.event_code as string,
        kind: b.kind as string,
        unitCode: (b.unit_code as string | null) ?? undefined,
        fileName: b.file_name as string,
        bytes,
        profile: change.profile,
        profileCode: change.profileCode,
        sheet: change.sheet,
        withoutUnit: b.unit_id === null,
      },
      actor,
    );
    await this.discard(batchId);
    return result;
  }

  /** 作废: a staged or failed batch set aside by a person (its rows stay, for the record). */
  async discardBatch(batchId: number, actor: Actor): Promise<BatchView> {
    const b = await this.batchRow(batchId, actor);
    if (b.status !== 'staged' && b.status !== 'failed') await this.stagedBatch(batchId, actor);
    await this.discard(batchId);
    await this.audit.record(
      'import_discard',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'import', id: batchId, eventId: Number(b.event_id) },
      { fileName: b.file_name },
    );
    return this.batch(batchId, actor);
  }

  /** A dry run's batch is set aside once reported: it cannot be committed and clutters nothing. */
  async discard(batchId: number): Promise<void> {
    await this.db.sequelize.query(
      `UPDATE import_batches SET status = 'discarded', updated_at = now() WHERE id = :id AND status IN ('staged', 'failed')`,
      { replacements: { id: batchId } },
    );
  }

  // ---------------------------------------------------------------------------------------
  // Online pruning

  private async stagedBatch(batchId: number, actor: Actor) {
    const b = await this.batchRow(batchId, actor);
    if (b.status !== 'staged') {
      const why =
        {
          staging: '还在读取中',
          committed: '已提交',
          committing: '正在提交',
          failed: '读取失败',
          discarded: '已作废',
        }[b.status as string] ?? String(b.status);
      throw new TesseraError('batch_not_editable', `这个批次${why}，不能再修改`, 409);
    }
    return b;
  }

  private async rowOf(batchId: number, rowId: number, transaction?: Transaction) {
    const [row] = await this.db.sequelize.query<Record<string, unknown>>(
      'SELECT * FROM import_rows WHERE id = :rowId AND batch_id = :batchId FOR UPDATE',
      { type: QueryTypes.SELECT, replacements: { rowId, batchId }, transaction },
    );
    if (!row) throw new TesseraError('row_not_found', `第 ${rowId} 行不存在`, 404);
    return row;
  }

  /** Deletes a row from the batch; who, when and why stay with it. */
  async deleteRow(batchId: number, rowId: number, actor: Actor, reason?: string): Promise<RowView> {
    await this.stagedBatch(batchId, actor);
    await this.db.sequelize.transaction(async (transaction) => {
      const row = await this.rowOf(batchId, rowId, transaction);
      if (row.status === 'deleted') return;
      await this.db.sequelize.query(
        `UPDATE import_rows SET status = 'deleted', deleted_by = :user, deleted_at = now(), delete_reason = :reason,
                version = version + 1 WHERE id = :id`,
        {
          replacements: { id: rowId, user: actor.id, reason: reason?.trim().slice(0, 200) || null },
          transaction,
        },
      );
    });
    await this.refreshCounts(batchId);
    const [row] = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT r.*, du.username AS deleted_by_name FROM import_rows r LEFT JOIN users du ON du.id = r.deleted_by WHERE r.id = :id`,
      { type: QueryTypes.SELECT, replacements: { id: rowId } },
    );
    return this.rowView(row!);
  }

  /** Edits a row's values online; checked again with the same rules, duplicates included. */
  async editRow(
    batchId: number,
    rowId: number,
    actor: Actor,
    change: { values: Record<string, unknown>; version: number },
  ): Promise<RowView> {
    const b = await this.stagedBatch(batchId, actor);
    const { plugin } = await this.events.find(b.event_code as string);
    const kind = b.kind as string;
    const form = plugin.forms[kind]!;
    const idField = ID_FIELD[kind];
    await this.db.sequelize.transaction(async (transaction) => {
      const row = await this.rowOf(batchId, rowId, transaction);
      if (row.version !== change.version) {
        throw new TesseraError('version_conflict', '这一行已被他人修改，请刷新后再改', 409);
      }
      if (row.status === 'deleted' || row.status === 'committed') {
        throw new TesseraError('row_not_editable', '已删除或已提交的行不能修改', 409);
      }
      const values = { ...change.values };
      // A masked ID number sent back unchanged means "keep the one from the sheet".
      if (
        idField &&
        row.secret_enc &&
        (values[idField] === undefined ||
          values[idField] === (row.values as Record<string, unknown>)[idField])
      ) {
        values[idField] = (
          JSON.parse(this.sensitive.decrypt(row.secret_enc as Buffer)) as Record<string, string>
        )[idField];
      }
      const photoField = Object.entries(form.properties).find(([, f]) => f?.['x-widget'] === 'photo')?.[0];
      if (photoField) delete values[photoField];
      const checked = validateRecordValues(form, values, {
        kind,
        cardTypes: plugin.cardTypes,
        zones: plugin.manifest.event.zones.map((z) => z.code),
      });
      const staged: StagedRow = {
        sheet: row.sheet as string,
        row: row.row_number as number,
        raw: {},
        values: checked.values,
        errors: { ...checked.fields },
        warnings: { ...((checked as { warnings?: Record<string, FieldIssue[]> }).warnings ?? {}) },
      };
      if (photoField) {
        delete staged.errors[photoField];
        delete staged.warnings[photoField];
      }
      await this.flagRowAgainstOthers(staged, batchId, rowId, b, idField, transaction);
      const stored = { ...staged.values };
      let secret: Buffer | null = null;
      let idHash: Buffer | null = null;
      if (idField && typeof stored[idField] === 'string') {
        const id = stored[idField] as string;
        secret = this.sensitive.encrypt(JSON.stringify({ [idField]: id }));
        if (!staged.errors[idField]) idHash = this.sensitive.lookupHash(id);
        stored[idField] = maskIdNumber(id);
      }
      await this.db.sequelize.query(
        `UPDATE import_rows SET values = :values::jsonb, secret_enc = :secret, id_hash = :idHash,
                plate_number = :plate, card_type = :cardType, errors = :errors::jsonb, warnings = :warnings::jsonb,
                status = :status, edited_by = :user, edited_at = now(), version = version + 1
          WHERE id = :id`,
        {
          transaction,
          replacements: {
            id: rowId,
            values: JSON.stringify(stored),
            secret,
            idHash,
            plate: typeof staged.values.plateNumber === 'string' ? staged.values.plateNumber : null,
            cardType: typeof staged.values.cardType === 'string' ? staged.values.cardType : null,
            errors: JSON.stringify(staged.errors),
            warnings: JSON.stringify(staged.warnings),
            status: isEmpty(staged.errors) ? 'valid' : 'invalid',
            user: actor.id,
          },
        },
      );
    });
    await this.refreshCounts(batchId);
    const [row] = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT r.*, eu.username AS edited_by_name FROM import_rows r LEFT JOIN users eu ON eu.id = r.edited_by WHERE r.id = :id`,
      { type: QueryTypes.SELECT, replacements: { id: rowId } },
    );
    await this.audit.record(
      'import_row_edit',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'import', id: batchId },
      { row: row!.row_number, fields: Object.keys(change.values) },
    );
    return this.rowView(row!);
  }

  /** Duplicate checks for one edited row: other live rows of the batch and the event's records. */
  private async flagRowAgainstOthers(
    r: StagedRow,
    batchId: number,
    rowId: number,
    b: Record<string, unknown>,
    idField: string | undefined,
    transaction: Transaction,
  ) {
    const kind = b.kind as string;
    if (kind === 'vehicle' && typeof r.values.plateNumber === 'string' && !r.errors.plateNumber) {
      const [other] = await this.db.sequelize.query<{ row_number: number }>(
        `SELECT row_number FROM import_rows WHERE batch_id = :batchId AND id <> :rowId AND plate_number = :plate
            AND status IN ('valid', 'invalid') ORDER BY row_number LIMIT 1`,
        {
          type: QueryTypes.SELECT,
          replacements: { batchId, rowId, plate: r.values.plateNumber },
          transaction,
        },
      );
      if (other)
        addIssue(r.errors, 'plateNumber', {
          code: 'duplicate-in-batch',
          message: `与第 ${other.row_number} 行车牌重复`,
        });
      const [existing] = await this.db.sequelize.query<{ code: string }>(
        `SELECT u.code FROM records r JOIN units u ON u.id = r.unit_id WHERE r.event_id = :eventId AND r.kind = 'vehicle'
            AND r.status <> 'deleted' AND r.plate_number = :plate LIMIT 1`,
        {
          type: QueryTypes.SELECT,
          replacements: { eventId: b.event_id, plate: r.values.plateNumber },
          transaction,
        },
      );
      if (existing)
        addIssue(r.errors, 'plateNumber', {
          code: 'duplicate-in-event',
          message: `本活动已有该车牌的记录（单位 ${existing.code}）`,
        });
    } else if (idField && typeof r.values[idField] === 'string' && !r.errors[idField]) {
      const hash = this.sensitive.lookupHash(r.values[idField] as string);
      const [other] = await this.db.sequelize.query<{ row_number: number }>(
        `SELECT row_number FROM import_rows WHERE batch_id = :batchId AND id <> :rowId AND id_hash = :hash
            AND status IN ('valid', 'invalid') ORDER BY row_number LIMIT 1`,
        { type: QueryTypes.SELECT, replacements: { batchId, rowId, hash }, transaction },
      );
      if (other)
        addIssue(r.errors, idField, {
          code: 'duplicate-in-batch',
          message: `与第 ${other.row_number} 行证件号码重复`,
        });
      const [existing] = await this.db.sequelize.query<PersonInEvent>(
        `SELECT ${PERSON_IN_EVENT_SQL} FROM records r JOIN units u ON u.id = r.unit_id WHERE r.event_id = :eventId
            AND r.kind = :kind AND r.status <> 'deleted' AND r.id_number_hash = :hash`,
        {
          type: QueryTypes.SELECT,
          replacements: {
            eventId: b.event_id,
            kind,
            hash,
            unitId: b.unit_id === null ? null : Number(b.unit_id),
          },
          transaction,
        },
      );
      flagPersonInEvent(r, idField, existing);
    }
  }

  /** Replaces a row's photo with an upload (processed like any photo). */
  async replacePhoto(
    batchId: number,
    rowId: number,
    actor: Actor,
    bytes: Uint8Array,
    fileName: string,
  ): Promise<RowView> {
    const b = await this.stagedBatch(batchId, actor);
    const { plugin } = await this.events.find(b.event_code as string);
    const rules = await this.photos.rules(b.event_code as string);
    const stored = await this.photos.storeImported(bytes, rules, {
      eventCode: b.event_code as string,
      unitId: Number(b.unit_id),
      createdBy: actor.id,
      originalName: fileName,
    });
    await this.db.sequelize.transaction(async (transaction) => {
      const row = await this.rowOf(batchId, rowId, transaction);
      const errors = { ...(row.errors as Record<string, FieldIssue[]>) };
      const warnings = { ...(row.warnings as Record<string, FieldIssue[]>) };
      const photoField = Object.entries(plugin.forms[b.kind as string]!.properties).find(
        ([, f]) => f?.['x-widget'] === 'photo',
      )?.[0];
      if (photoField) {
        delete errors[photoField];
        delete warnings[photoField];
      }
      await this.db.sequelize.query(
        `UPDATE import_rows SET photo_id = :photo, photo_source = 'upload', errors = :errors::jsonb, warnings = :warnings::jsonb,
                status = CASE WHEN status IN ('valid', 'invalid') THEN :status ELSE status END,
                edited_by = :user, edited_at = now(), version = version + 1 WHERE id = :id`,
        {
          transaction,
          replacements: {
            id: rowId,
            photo: stored.id,
            errors: JSON.stringify(errors),
            warnings: JSON.stringify(warnings),
            status: isEmpty(errors) ? 'valid' : 'invalid',
            user: actor.id,
          },
        },
      );
    });
    await this.refreshCounts(batchId);
    const [row] = await this.db.sequelize.query<Record<string, unknown>>(
      'SELECT * FROM import_rows WHERE id = :id',
      {
        type: QueryTypes.SELECT,
        replacements: { id: rowId },
      },
    );
    return this.rowView(row!);
  }

  // ---------------------------------------------------------------------------------------
  // Commit

  async startCommit(batchId: number, actor: Actor): Promise<TaskView> {
    const b = await this.stagedBatch(batchId, actor);
    if (b.unit_id === null) {
      throw new TesseraError(
        'unit_required',
        '这个批次没有指定申报单位（试运行），不能提交；请选择单位重新上传',
        422,
      );
    }
    return this.tasks.start(
      { type: 'import-commit', eventId: Number(b.event_id), unitId: Number(b.unit_id), createdBy: actor.id },
      (progress) => this.commit(batchId, actor, progress),
    );
  }

  /**
   * Valid rows become records in ONE transaction; invalid rows are rejected with their reasons;
   * deleted rows stay deleted. Any failure rolls everything back and the batch stays staged.
   */
  async commit(batchId: number, actor: Actor, task?: TaskProgress): Promise<CommitReport> {
    if (!task) {
      // Always as a task (the CLI's commit too): the batch names it, so a commit cut off by a crash
      // is known as such and the batch is given back (recoverInterrupted) instead of hanging.
      const b = await this.batchRow(batchId, actor);
      return this.tasks.runHere(
        {
          type: 'import-commit',
          eventId: Number(b.event_id),
          unitId: b.unit_id === null ? null : Number(b.unit_id),
          createdBy: actor.id,
        },
        (progress) => this.commit(batchId, actor, progress),
      );
    }
    const claimed = await this.db.sequelize.query<{ id: string }>(
      `UPDATE import_batches SET status = 'committing', task_id = :task, updated_at = now()
        WHERE id = :id AND status = 'staged' RETURNING id`,
      { type: QueryTypes.SELECT, replacements: { id: batchId, task: task.id } },
    );
    if (claimed.length === 0) throw new TesseraError('batch_not_editable', '这个批次不是待提交状态', 409);
    try {
      const b = await this.batchRow(batchId, actor);
      const { event, plugin } = await this.events.find(b.event_code as string);
      const kind = b.kind as string;
      const idField = ID_FIELD[kind];
      const photoField = Object.entries(plugin.forms[kind]!.properties).find(
        ([, f]) => f?.['x-widget'] === 'photo',
      )?.[0];
      const rows = await this.db.sequelize.query<Record<string, unknown>>(
        `SELECT id, row_number, values, secret_enc, errors, photo_id FROM import_rows
          WHERE batch_id = :id AND status IN ('valid', 'invalid') ORDER BY sheet, row_number`,
        { type: QueryTypes.SELECT, replacements: { id: batchId } },
      );
      const valid = rows.filter((r) => isEmpty(r.errors as Record<string, unknown[]>));
      const invalid = rows.filter((r) => !isEmpty(r.errors as Record<string, unknown[]>));
      task.progress(0, valid.length, '提交');
      await this.db.sequelize.transaction(async (transaction) => {
        for (let i = 0; i < valid.length; i += CHUNK) {
          // Each chunk's statement is built on the server's one thread (~0.1 s for 500 records).
          await backgroundTurn();
          const chunk = valid.slice(i, i + CHUNK);
          const created = await this.db.models.EventRecord.bulkCreate(
            chunk.map((r) => {
              const values = { ...(r.values as Record<string, unknown>) };
              if (idField && r.secret_enc) {
                values[idField] = (
                  JSON.parse(this.sensitive.decrypt(r.secret_enc as Buffer)) as Record<string, string>
                )[idField];
              }
              if (photoField && r.photo_id) values[photoField] = r.photo_id;
              return {
                ...this.records.recordRow(kind, values),
                eventId: event.id,
                unitId: Number(b.unit_id),
                kind,
                pluginVersionId: event.pluginVersionId,
                createdBy: actor.id,
                updatedBy: actor.id,
              } as never;
            }),
            { transaction, returning: ['id'] },
          );
          await this.db.sequelize.query(
            `UPDATE import_rows AS r SET status = 'committed', record_id = v.record_id
               FROM (SELECT unnest(ARRAY[:rowIds]::bigint[]) AS row_id, unnest(ARRAY[:recordIds]::bigint[]) AS record_id) v
              WHERE r.id = v.row_id`,
            {
              transaction,
              replacements: { rowIds: chunk.map((r) => Number(r.id)), recordIds: created.map((c) => c.id) },
            },
          );
          await this.db.models.AuditEntry.bulkCreate(
            created.map((c, j) => ({
              action: 'record_import',
              userId: actor.id,
              username: actor.username,
              ip: actor.ip ?? null,
              targetType: 'record',
              targetId: String(c.id),
              eventId: event.id,
              detail: { batch: batchId, row: chunk[j]!.row_number },
            })) as never[],
            { transaction },
          );
          task.progress(Math.min(i + CHUNK, valid.length), valid.length);
          await task.yieldNow();
        }
        for (const r of invalid) {
          const reason = Object.values(r.errors as Record<string, FieldIssue[]>)
            .flat()
            .map((i) => i.message)
            .join('；');
          await this.db.sequelize.query(
            `UPDATE import_rows SET status = 'rejected', reject_reason = :reason WHERE id = :id`,
            { transaction, replacements: { id: r.id, reason } },
          );
        }
        await this.db.sequelize.query(
          `UPDATE import_batches SET status = 'committed', committed_by = :user, committed_at = now(), updated_at = now()
            WHERE id = :id`,
          { transaction, replacements: { id: batchId, user: actor.id } },
        );
      });
      await this.refreshCounts(batchId);
      if (b.unit_id !== null && b.profile_code)
        await this.profiles.remember(event.id, Number(b.unit_id), kind, b.profile_code as string);
      const report = await this.report(batchId, actor);
      await this.audit.record(
        'import_commit',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'import', id: batchId, eventId: event.id },
        report.totals,
      );
      return report;
    } catch (error) {
      await this.db.sequelize.query(
        `UPDATE import_batches SET status = 'staged', updated_at = now() WHERE id = :id AND status = 'committing'`,
        { replacements: { id: batchId } },
      );
      if (error instanceof Error && error.name === 'SequelizeUniqueConstraintError') {
        throw new TesseraError(
          'duplicate_on_commit',
          '提交时发现与本活动已有记录重复的行（可能刚由他人录入），未写入任何数据。请重新校验后再提交',
          409,
        );
      }
      throw error;
    }
  }

  /**
   * Batches whose reading or commit was cut off with its process (call after
   * Tasks.recoverInterrupted, at start): a commit is one transaction, so it wrote nothing and the
   * batch is staged again, ready to commit; a reading is failed, to be read again or discarded.
   * The note says what happened. Returns the batches given back.
   */
  async recoverInterrupted(): Promise<number[]> {
    const rows = await this.db.sequelize.query<{ id: string }>(
      `UPDATE import_batches b
          SET status = CASE b.status WHEN 'committing' THEN 'staged' ELSE 'failed' END,
              notes = b.notes || jsonb_build_array(CASE b.status
                WHEN 'committing' THEN jsonb_build_object('code', 'commit-interrupted', 'message',
                  '上次提交入库时服务中断，未写入任何记录（提交是一个整体）；可以再次提交')
                ELSE jsonb_build_object('code', 'read-interrupted', 'message',
                  '读取文件时服务中断：请点“重新映射”重新读取原文件，或重新上传') END),
              updated_at = now()
        WHERE b.status IN ('staging', 'committing')
          AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = b.task_id AND t.status IN ('queued', 'running'))
          -- a batch is inserted a moment before its reading task: not that moment
          AND (b.task_id IS NOT NULL OR b.updated_at < now() - interval '10 minutes')
        RETURNING b.id`,
      { type: QueryTypes.SELECT },
    );
    return rows.map((r) => Number(r.id));
  }

  /** The reconciliation: data rows = committed + deleted + rejected (+ still pending before commit). */
  async report(batchId: number, actor: Actor): Promise<CommitReport> {
    const batch = await this.batch(batchId, actor);
    const deleted = await this.db.sequelize.query<{
      row_number: number;
      username: string | null;
      deleted_at: Date;
      delete_reason: string | null;
    }>(
      `SELECT r.row_number, u.username, r.deleted_at, r.delete_reason FROM import_rows r LEFT JOIN users u ON u.id = r.deleted_by
        WHERE r.batch_id = :id AND r.status = 'deleted' ORDER BY r.row_number`,
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    const rejected = await this.db.sequelize.query<{ row_number: number; reject_reason: string | null }>(
      `SELECT row_number, reject_reason FROM import_rows WHERE batch_id = :id AND status = 'rejected' ORDER BY row_number`,
      { type: QueryTypes.SELECT, replacements: { id: batchId } },
    );
    const c = batch.counts;
    return {
      batch: batch.id,
      status: batch.status,
      totals: {
        sourceRows: c.rows,
        committed: c.committed,
        deleted: c.deleted,
        rejected: c.rejected,
        pending: c.valid + c.invalid,
        skipped: c.skipped,
        reconciled: c.rows === c.committed + c.deleted + c.rejected + c.valid + c.invalid,
      },
      deleted: deleted.map((d) => ({
        row: d.row_number,
        by: d.username,
        at: d.deleted_at.toISOString(),
        reason: d.delete_reason,
      })),
      rejected: rejected.map((r) => ({ row: r.row_number, reason: r.reject_reason ?? '' })),
      skipped: batch.notes
        .filter((n) => n.code.startsWith('skipped-'))
        .map((n) => ({ row: n.row ?? 0, reason: n.message })),
    };
  }
}
