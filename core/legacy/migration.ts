import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { QueryTypes, type Transaction } from 'sequelize';
import type { SessionUser } from '../auth/accounts.ts';
import type { AuditLog } from '../audit.ts';
import type { SensitiveData } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { Photos } from '../photos/photos.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import type { Records } from '../records/records.ts';
import { formatCardNumber } from '../render/context.ts';
import { checkAgainstEvent, loadMappingFile, type LoadedMapping } from './mapping-file.ts';
import { buildPlan, type MigrationPlan, type PlannedRecord } from './plan.ts';
import { factsHash, type RecordFacts } from './values.ts';
import type { LegacyChecksumMismatch, LegacyProgress, LegacyReport } from './views.ts';

export type * from './views.ts';

type Actor = SessionUser & { ip?: string };

/** The source cells of the rejected rows (ID numbers in full: for the person who fixes them). */
export type MigrationProblemRows = MigrationPlan['problemRows'];

const CHUNK = 500;
/** Arbitrary constant: one migration per event at a time (advisory lock key with the event id). */
const MIGRATION_LOCK = 7_241_010;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Migration from the previous system (旧系统数据迁移): reads the old system's Excel/CSV exports
 * and photo folders through a mapping file, plans (the dry run reports the plan and writes
 * nothing), then writes everything in one transaction and reconciles: per source file rows =
 * created + existing + rejected, and for every migrated record and photo a checksum of the
 * source against what is stored. Re-running the same exports creates nothing twice (legacy key).
 */
export class LegacyMigration {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly records: Records,
    private readonly photos: Photos,
    private readonly sensitive: SensitiveData,
    private readonly audit: AuditLog,
  ) {}

  async run(
    mappingFile: string,
    actor: Actor,
    options: { dryRun?: boolean; onProgress?: (p: LegacyProgress) => void } = {},
  ): Promise<{ report: LegacyReport; problemRows: MigrationProblemRows }> {
    const startedAt = new Date();
    const progress = (phase: string, done: number, total: number) =>
      options.onProgress?.({ phase, done, total });
    const loaded = await loadMappingFile(mappingFile);
    const { event, plugin } = await this.events.find(loaded.mapping.event);
    await checkAgainstEvent(loaded, plugin);
    progress('读取源文件', 0, 1);
    const plan = await buildPlan(loaded, {
      db: this.db,
      sensitive: this.sensitive,
      plugin,
      eventId: event.id,
      onProgress: progress,
    });
    const counters = await this.counters(event.id);
    const numbering = this.number(plan, plugin, loaded, counters);
    const report: LegacyReport = {
      name: loaded.mapping.name ?? path.basename(loaded.file),
      event: event.code,
      mappingFile: loaded.file,
      mappingSha256: loaded.sha256,
      dryRun: !!options.dryRun,
      runId: null,
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      sources: plan.sources,
      created: this.createdCounts(plan),
      problems: plan.problems,
      duplicates: plan.duplicates,
      changedSinceMigrated: plan.changedSinceMigrated,
      photos: plan.photos,
      cardNumbers: {
        ...plan.cardNumbers,
        numbered: numbering.notes,
        counters: [...numbering.after].map(([cardType, after]) => ({
          cardType,
          before: counters.get(cardType) ?? null,
          after,
        })),
      },
      checksums: { records: { checked: 0, equal: 0 }, photos: { checked: 0, equal: 0 }, mismatches: [] },
      reconciled: false,
    };
    if (!options.dryRun) {
      const runId = await this.write(
        loaded,
        plan,
        numbering.after,
        { eventId: event.id, pluginVersionId: event.pluginVersionId },
        actor,
        progress,
        report,
      );
      report.runId = runId;
    }
    progress('核对校验和', 0, 1);
    report.checksums = await this.checksums(plan, event.id, loaded, !!options.dryRun, progress);
    report.reconciled = report.sources.every((s) => s.reconciled) && report.checksums.mismatches.length === 0;
    report.finishedAt = new Date().toISOString();
    if (report.runId !== null) {
      await this.db.sequelize.query(
        `UPDATE legacy_runs SET status = 'succeeded', report = :report::jsonb, finished_at = now() WHERE id = :id`,
        { replacements: { id: report.runId, report: JSON.stringify(report) } },
      );
      await this.audit.record(
        'legacy_migrate',
        { userId: actor.id, username: actor.username, ip: actor.ip },
        { type: 'legacy_run', id: report.runId, eventId: event.id },
        {
          mapping: loaded.file,
          created: report.created,
          reconciled: report.reconciled,
          idNumbersRead: report.checksums.records.checked,
        },
      );
    }
    return { report, problemRows: plan.problemRows };
  }

  private createdCounts(plan: MigrationPlan): LegacyReport['created'] {
    const fresh = plan.records.filter((r) => !r.existing);
    const records: Record<string, number> = {};
    for (const r of fresh) records[r.source] = (records[r.source] ?? 0) + 1;
    const cards = fresh.filter((r) => r.card).length;
    return {
      units: plan.units.filter((u) => u.existingId === null).length,
      records,
      cards,
      cardHistory: cards,
      photos: fresh.filter((r) => r.photo).length,
    };
  }

  private async counters(eventId: number, transaction?: Transaction): Promise<Map<string, number>> {
    const rows = await this.db.sequelize.query<{ card_type: string; last_seq: number }>(
      'SELECT card_type, last_seq FROM card_number_counters WHERE event_id = :eventId',
      { type: QueryTypes.SELECT, replacements: { eventId }, transaction },
    );
    return new Map(rows.map((r) => [r.card_type, Number(r.last_seq)]));
  }

  /**
   * Counters after the run: the highest of the counter and every migrated sequence per card type;
   * cards without a legacy number take the next numbers after that (seq set on the plan).
   */
  private number(
    plan: MigrationPlan,
    plugin: LoadedPlugin,
    loaded: LoadedMapping,
    counters: Map<string, number>,
  ) {
    const after = new Map<string, number>();
    const fresh = plan.records.filter((r) => r.card && !r.existing);
    for (const r of fresh) {
      const type = plugin.cardTypes.find((t) => t.code === r.card!.type)!;
      const base = after.get(type.code) ?? counters.get(type.code) ?? (type.numbering.start ?? 1) - 1;
      after.set(type.code, Math.max(base, r.card!.seq ?? base));
    }
    const notes: LegacyReport['cardNumbers']['numbered'] = [];
    for (const r of fresh) {
      const card = r.card!;
      if (card.number !== null) continue;
      const type = plugin.cardTypes.find((t) => t.code === card.type)!;
      const seq = after.get(type.code)! + 1;
      after.set(type.code, seq);
      card.seq = seq;
      card.generated = true;
      card.number = formatCardNumber(type.numbering.pattern, {
        event: loaded.mapping.event,
        type: type.code,
        year: (card.printedAt ?? new Date()).toISOString().slice(0, 4),
        unit: r.unitCode,
        seq,
      });
      notes.push({
        file: r.file,
        row: r.row,
        cardType: type.code,
        cardNumber: card.number,
        note: '旧系统没有编号，按编号规则续编',
      });
    }
    return { after, notes };
  }

  /** The real run: photos first (content-addressed, harmless if the transaction fails), then one transaction. */
  private async write(
    loaded: LoadedMapping,
    plan: MigrationPlan,
    counterAfter: Map<string, number>,
    event: { eventId: number; pluginVersionId: number },
    actor: Actor,
    progress: (phase: string, done: number, total: number) => void,
    report: LegacyReport,
  ): Promise<number> {
    const { eventId } = event;
    const [run] = await this.db.sequelize.query<{ id: string }>(
      `INSERT INTO legacy_runs (event_id, mapping_file, mapping_sha256, dry_run, status, created_by)
       VALUES (:eventId, :file, :sha, false, 'running', :user) RETURNING id`,
      {
        type: QueryTypes.SELECT,
        replacements: { eventId, file: loaded.file, sha: loaded.sha256, user: actor.id },
      },
    );
    const runId = Number(run!.id);
    try {
      const fresh = plan.records.filter((r) => !r.existing);
      const photoOf = await this.storePhotos(fresh, eventId, actor, progress, report);
      await this.db.sequelize.transaction(async (transaction) => {
        await this.db.sequelize.query('SELECT pg_advisory_xact_lock(:key, :eventId)', {
          replacements: { key: MIGRATION_LOCK, eventId },
          transaction,
        });
        // Another run may have finished while this one planned: its keys would be created twice.
        const [{ n }] = (await this.db.sequelize.query<{ n: string }>(
          `SELECT count(*) AS n FROM legacy_items WHERE event_id = :eventId AND run_id <> :runId
              AND created_at > (SELECT started_at FROM legacy_runs WHERE id = :runId)`,
          { type: QueryTypes.SELECT, replacements: { eventId, runId }, transaction },
        )) as [{ n: string }];
        if (Number(n) > 0)
          throw new TesseraError(
            'migration_conflict',
            '另一次迁移刚刚写入了本活动的数据，请重新运行（已迁入的行会被识别，不会重复）',
            409,
          );
        const unitIds = await this.writeUnits(plan, runId, eventId, transaction);
        progress('写入记录', 0, fresh.length);
        for (let i = 0; i < fresh.length; i += CHUNK) {
          await this.writeRecords(
            fresh.slice(i, i + CHUNK),
            unitIds,
            photoOf,
            event,
            runId,
            actor,
            transaction,
          );
          progress('写入记录', Math.min(i + CHUNK, fresh.length), fresh.length);
        }
        for (const [cardType, last] of counterAfter) {
          await this.db.sequelize.query(
            `INSERT INTO card_number_counters (event_id, card_type, last_seq) VALUES (:eventId, :cardType, :last)
             ON CONFLICT (event_id, card_type) DO UPDATE SET last_seq = GREATEST(card_number_counters.last_seq, EXCLUDED.last_seq)`,
            { replacements: { eventId, cardType, last }, transaction },
          );
        }
      });
      return runId;
    } catch (error) {
      await this.db.sequelize.query(
        `UPDATE legacy_runs SET status = 'failed', error = :error, finished_at = now() WHERE id = :id`,
        { replacements: { id: runId, error: (error as Error).message } },
      );
      if (error instanceof Error && error.name === 'SequelizeUniqueConstraintError')
        throw new TesseraError(
          'migration_conflict',
          `写入时与本活动已有数据冲突（${(error as Error & { parent?: { detail?: string } }).parent?.detail ?? error.message}），未写入任何记录，请先试运行查看报告`,
          409,
        );
      throw error;
    }
  }

  /**
   * Each matched photo: the file as it came kept untouched in the blob store (its hash is the
   * source's), and a processed copy stored as any imported photo, which the record shows.
   */
  private async storePhotos(
    rows: PlannedRecord[],
    eventId: number,
    actor: Actor,
    progress: (phase: string, done: number, total: number) => void,
    report: LegacyReport,
  ): Promise<Map<PlannedRecord, { photoId: string | null; sourceSha: string; originalSha: string }>> {
    const withPhoto = rows.filter((r) => r.photo);
    const out = new Map<PlannedRecord, { photoId: string | null; sourceSha: string; originalSha: string }>();
    if (withPhoto.length === 0) return out;
    progress('保存照片', 0, withPhoto.length);
    const { event } = await this.events.find(report.event);
    const rules = await this.photos.rules(event.code);
    const originals = new Map<PlannedRecord, { sourceSha: string; originalSha: string }>();
    for (const r of withPhoto) {
      const bytes = await fs.readFile(r.photo!.path);
      originals.set(r, {
        sourceSha: sha256(bytes),
        originalSha: await this.photos.blobs.put(bytes, { sync: false }),
      });
    }
    const stored = await this.photos.storeImportedMany(
      withPhoto.map((r) => ({ read: () => fs.readFile(r.photo!.path), originalName: r.photo!.name })),
      rules,
      { eventId, unitId: null, createdBy: actor.id },
      (done) => progress('保存照片', done, withPhoto.length),
    );
    withPhoto.forEach((r, i) => {
      const result = stored[i]!;
      if (result instanceof Error)
        report.photos.unusable.push({
          file: r.file,
          row: r.row,
          photo: r.photo!.name,
          reason: result.message,
        });
      out.set(r, { photoId: result instanceof Error ? null : result.id, ...originals.get(r)! });
    });
    report.created.photos = withPhoto.length - report.photos.unusable.length;
    return out;
  }

  private async writeUnits(plan: MigrationPlan, runId: number, eventId: number, transaction: Transaction) {
    const ids = new Map<string, number>();
    const all = await this.db.sequelize.query<{ id: string; code: string }>('SELECT id, code FROM units', {
      type: QueryTypes.SELECT,
      transaction,
    });
    for (const u of all) ids.set(u.code, Number(u.id));
    for (const u of plan.units) {
      if (ids.has(u.code)) continue;
      const created = await this.db.models.Unit.create(
        { code: u.code, name: u.name, contactName: u.contactName, contactPhone: u.contactPhone } as never,
        { transaction },
      );
      ids.set(u.code, created.id);
      await this.db.sequelize.query(
        `INSERT INTO legacy_items (event_id, source, legacy_key, source_file, source_row, source_sha256, unit_id, run_id)
         VALUES (:eventId, 'unit', :code, :file, :row, :sha, :unitId, :runId) ON CONFLICT DO NOTHING`,
        {
          transaction,
          replacements: {
            eventId,
            code: u.code,
            file: u.file,
            row: u.row,
            sha: factsHash({
              code: u.code,
              name: u.name,
              contactName: u.contactName,
              contactPhone: u.contactPhone,
            }),
            unitId: created.id,
            runId,
          },
        },
      );
    }
    return ids;
  }

  private async writeRecords(
    chunk: PlannedRecord[],
    unitIds: Map<string, number>,
    photoOf: Map<PlannedRecord, { photoId: string | null; sourceSha: string; originalSha: string }>,
    event: { eventId: number; pluginVersionId: number },
    runId: number,
    actor: Actor,
    transaction: Transaction,
  ) {
    const { eventId } = event;
    const photoField = 'photo';
    const created = await this.db.models.EventRecord.bulkCreate(
      chunk.map((r) => {
        const photo = photoOf.get(r)?.photoId;
        const values = photo ? { ...r.values, [photoField]: photo } : r.values;
        return {
          ...this.records.recordRow(r.source, values),
          eventId,
          unitId: unitIds.get(r.unitCode)!,
          kind: r.source,
          status: r.status,
          printedAt: r.card?.printedAt ?? null,
          pluginVersionId: event.pluginVersionId,
          createdBy: actor.id,
          updatedBy: actor.id,
        } as never;
      }),
      { transaction, returning: ['id'] },
    );
    for (const [i, r] of chunk.entries()) {
      const recordId = created[i]!.id;
      let cardId: number | null = null;
      if (r.card) {
        const c = r.card;
        const seq = c.seq ?? (await this.nextLegacySeq(eventId, c.type, transaction));
        const [card] = await this.db.sequelize.query<{ id: string }>(
          `INSERT INTO cards (event_id, record_id, unit_id, card_type, card_number, seq, card_version, status,
                              record_version, printed_at, issued_at, issued_to, status_reason, created_by)
           VALUES (:eventId, :recordId, :unitId, :type, :number, :seq, 1, :status, 1, :printedAt, :issuedAt,
                   :issuedTo, :reason, :user) RETURNING id`,
          {
            type: QueryTypes.SELECT,
            transaction,
            replacements: {
              eventId,
              recordId,
              unitId: unitIds.get(r.unitCode)!,
              type: c.type,
              number: c.number,
              seq,
              status: c.status,
              printedAt: c.printedAt,
              issuedAt: c.issuedAt,
              issuedTo: c.issuedTo,
              reason: c.reason,
              user: actor.id,
            },
          },
        );
        cardId = Number(card!.id);
        await this.db.sequelize.query(
          `INSERT INTO card_history (event_id, card_id, record_id, action, from_status, to_status, reason, detail, actor_id)
           VALUES (:eventId, :cardId, :recordId, 'migrate', NULL, :status, :reason, :detail::jsonb, :user)`,
          {
            transaction,
            replacements: {
              eventId,
              cardId,
              recordId,
              status: c.status,
              reason: c.reason ?? '由旧系统迁入',
              detail: JSON.stringify({
                file: r.file,
                row: r.row,
                legacyNumber: c.seq === null ? c.number : undefined,
                runId,
              }),
              user: actor.id,
            },
          },
        );
      }
      const photo = photoOf.get(r);
      await this.db.sequelize.query(
        `INSERT INTO legacy_items (event_id, source, legacy_key, source_file, source_row, source_sha256, unit_id,
                                   record_id, card_id, photo_id, photo_file, photo_source_sha256, photo_original_sha256, run_id)
         VALUES (:eventId, :source, :key, :file, :row, :sha, :unitId, :recordId, :cardId, :photoId, :photoFile,
                 :photoSha, :originalSha, :runId)`,
        {
          transaction,
          replacements: {
            eventId,
            source: r.source,
            key: r.key,
            file: r.file,
            row: r.row,
            sha: r.hash,
            unitId: unitIds.get(r.unitCode)!,
            recordId,
            cardId,
            photoId: photo?.photoId ?? null,
            photoFile: r.photo?.name ?? null,
            photoSha: photo?.sourceSha ?? null,
            originalSha: photo?.originalSha ?? null,
            runId,
          },
        },
      );
    }
    await this.db.models.AuditEntry.bulkCreate(
      created.map((c, j) => ({
        action: 'record_migrate',
        userId: actor.id,
        username: actor.username,
        ip: actor.ip ?? null,
        targetType: 'record',
        targetId: String(c.id),
        eventId,
        detail: { run: runId, file: chunk[j]!.file, row: chunk[j]!.row },
      })) as never[],
      { transaction },
    );
  }

  /**
   * A legacy number that does not follow the pattern keeps its text; its `seq` (unique per card
   * type) is taken below zero, so it can never meet a number the counter hands out.
   */
  private async nextLegacySeq(eventId: number, cardType: string, transaction: Transaction): Promise<number> {
    const [row] = await this.db.sequelize.query<{ low: number | null }>(
      'SELECT min(seq) AS low FROM cards WHERE event_id = :eventId AND card_type = :cardType AND seq < 0',
      { type: QueryTypes.SELECT, replacements: { eventId, cardType }, transaction },
    );
    return (row?.low ?? 0) - 1;
  }

  /**
   * Source against stored: for every row migrated now or earlier, the canonical hash of the source
   * values (the plan's) against the hash of the stored record (ID number decrypted), and the
   * source photo's SHA-256 against the kept original's. A dry run checks what earlier runs stored.
   */
  private async checksums(
    plan: MigrationPlan,
    eventId: number,
    loaded: LoadedMapping,
    dryRun: boolean,
    progress: (phase: string, done: number, total: number) => void,
  ): Promise<LegacyReport['checksums']> {
    const out: LegacyReport['checksums'] = {
      records: { checked: 0, equal: 0 },
      photos: { checked: 0, equal: 0 },
      mismatches: [],
    };
    const rows = dryRun ? plan.records.filter((r) => r.existing) : plan.records;
    const items = await this.db.sequelize.query<Record<string, unknown>>(
      `SELECT i.*, u.code AS unit_code FROM legacy_items i JOIN units u ON u.id = i.unit_id
        WHERE i.event_id = :eventId AND i.source IN ('person', 'vehicle')`,
      { type: QueryTypes.SELECT, replacements: { eventId } },
    );
    const itemOf = new Map(items.map((i) => [`${String(i.source)}\u0000${String(i.legacy_key)}`, i]));
    const mismatch = (
      r: PlannedRecord,
      what: LegacyChecksumMismatch['what'],
      recordId: number | null,
      detail: string,
    ) => out.mismatches.push({ source: r.source, file: r.file, row: r.row, recordId, what, detail });
    for (const [n, r] of rows.entries()) {
      if (n % 200 === 0) progress('核对校验和', n, rows.length);
      const item = itemOf.get(`${r.source}\u0000${r.key}`);
      out.records.checked++;
      if (!item || item.record_id === null) {
        mismatch(r, 'record', null, '没有找到迁入的记录');
        continue;
      }
      const recordId = Number(item.record_id);
      const record = await this.db.models.EventRecord.findByPk(recordId);
      if (!record) {
        mismatch(r, 'record', recordId, '迁入的记录已不存在');
        continue;
      }
      const values = this.records.storedValues(record);
      delete values.photo;
      const [card] = item.card_id
        ? await this.db.sequelize.query<Record<string, unknown>>(
            'SELECT card_type, card_number, status, printed_at, issued_at, issued_to FROM cards WHERE id = :id',
            { type: QueryTypes.SELECT, replacements: { id: item.card_id } },
          )
        : [];
      const facts: RecordFacts = {
        kind: record.kind,
        unit: String(item.unit_code),
        status: record.status,
        values,
        card: card
          ? {
              type: String(card.card_type),
              // A number the system gave (none in the source) is compared as the source had it: none.
              number: !r.card?.number || r.card.generated ? '' : String(card.card_number),
              status: String(card.status),
              printedAt: (card.printed_at as Date | null)?.toISOString() ?? null,
              issuedAt: (card.issued_at as Date | null)?.toISOString() ?? null,
              issuedTo: (card.issued_to as string | null) ?? null,
            }
          : null,
      };
      const stored = factsHash(facts);
      // The source as planned now (the same exports) must equal what the item was made from and what is stored.
      const expected = r.existing ? r.existing.hash : String(item.source_sha256);
      if (stored === expected && (r.existing ? true : r.hash === expected)) out.records.equal++;
      else mismatch(r, 'record', recordId, '存储的记录与源数据的校验和不一致');
      if (item.photo_original_sha256) {
        out.photos.checked++;
        const source = sha256(
          await fs.readFile(path.resolve(loaded.dir, String(item.photo_file))).catch(() => Buffer.alloc(0)),
        );
        const original = await this.photos.blobs.get(String(item.photo_original_sha256)).catch(() => null);
        const kept = original ? sha256(original) : null;
        const onRecord = item.photo_id === null || record.photo === item.photo_id;
        if (source === item.photo_source_sha256 && kept === item.photo_source_sha256 && onRecord)
          out.photos.equal++;
        else
          mismatch(
            r,
            'photo',
            recordId,
            kept === null
              ? '保存的照片原件不存在'
              : !onRecord
                ? '记录上的照片不是迁入的照片'
                : '照片原件与源文件的 SHA-256 不一致',
          );
      }
    }
    progress('核对校验和', rows.length, rows.length);
    return out;
  }
}
