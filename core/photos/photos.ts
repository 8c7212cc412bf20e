import { randomUUID } from 'node:crypto';
import type { CreationAttributes } from 'sequelize';
import type { ReadStream } from 'node:fs';
import type { SessionUser } from '../auth/accounts.ts';
import type { AuditLog } from '../audit.ts';
import type { Database } from '../db/connection.ts';
import { mapLimit } from '../concurrency.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { FieldIssue } from '../records/validate-record.ts';
import type { FormSchema } from '../types/generated/index.ts';
import { BlobStore } from './blob-store.ts';
import { initPhotoModel, type Photo } from './model.ts';
import { photoRules, processPhoto, processPhotoFile, type CropRect, type PhotoRules } from './process.ts';

export type { CropRect, PhotoRules } from './process.ts';

type Actor = SessionUser & { ip?: string };

export interface PhotoInfo {
  id: string;
  width: number;
  height: number;
  /** Size of the stored JPEG. */
  bytes: number;
  sha256: string;
}

export interface UploadOptions {
  /** In the upright original's pixels; centred at the event's aspect ratio when absent. */
  crop?: CropRect | undefined;
  originalName?: string | null | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Longest original file name kept (for the record's history only). */
const MAX_NAME_LENGTH = 200;
/** Photos in flight during an import: enough to keep sharp and the disk busy on two cores. */
const IMPORT_CONCURRENCY = 8;

/**
 * ID photos: uploaded, cropped and normalised once (core/photos/process.ts), stored
 * content-addressed under the data folder, and referenced from records by id.
 */
export class Photos {
  readonly blobs: BlobStore;
  private readonly Photo: typeof Photo;

  constructor(
    private readonly db: Database,
    private readonly events: Events,
    dataDir: string,
    private readonly audit?: AuditLog,
  ) {
    this.blobs = new BlobStore(dataDir);
    this.Photo = initPhotoModel(db.sequelize);
  }

  /** The event's photo requirements (the plugin's `photo` block, defaults where blank). */
  async rules(eventCode: string): Promise<PhotoRules> {
    const { plugin } = await this.events.find(eventCode);
    return photoRules(plugin.manifest.photo);
  }

  /**
   * Processes and stores an upload. A unit user's photo belongs to its unit; a staff member's
   * (clerk, admin) to no unit until a record uses it.
   */
  async upload(eventCode: string, actor: Actor, bytes: Uint8Array, options: UploadOptions = {}) {
    const { event, plugin } = await this.events.find(eventCode);
    let unitId: number | null = null;
    if (actor.role === 'unit') {
      if (!actor.unit) throw new TesseraError('unit_required', '账号未关联单位', 403);
      unitId = actor.unit.id;
    }
    const name = options.originalName?.trim().slice(0, MAX_NAME_LENGTH) || null;
    const processed = await processPhotoFile(
      bytes,
      photoRules(plugin.manifest.photo),
      { crop: options.crop },
      name,
    );
    const sha256 = await this.blobs.put(processed.data);
    const photo = await this.Photo.create({
      id: randomUUID(),
      eventId: event.id,
      unitId,
      sha256,
      width: processed.width,
      height: processed.height,
      byteSize: processed.data.length,
      mediaType: processed.mediaType,
      originalName: name,
      createdBy: actor.id,
    });
    await this.audit?.record(
      'photo_upload',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'photo', id: photo.id, eventId: event.id },
      {
        width: processed.width,
        height: processed.height,
        bytes: processed.data.length,
        source: processed.source,
        crop: processed.crop,
        originalName: name,
      },
    );
    const info: PhotoInfo = {
      id: photo.id,
      width: photo.width,
      height: photo.height,
      bytes: photo.byteSize,
      sha256,
    };
    return info;
  }

  /**
   * Stores a photo that came with an import (a zip entry or a picture pasted into the sheet):
   * processed like an upload (centre-cropped to the ratio), a JPEG that already fits stored as
   * sent; no audit entry per photo — the import batch is audited as a whole.
   */
  async storeImported(
    bytes: Uint8Array,
    rules: PhotoRules,
    meta: { eventCode: string; unitId: number | null; createdBy: number | null; originalName: string | null },
  ): Promise<PhotoInfo> {
    const { event } = await this.events.find(meta.eventCode);
    const processed = await processPhotoFile(bytes, rules, { passThrough: true }, meta.originalName);
    const sha256 = await this.blobs.put(processed.data);
    const photo = await this.Photo.create({
      id: randomUUID(),
      eventId: event.id,
      unitId: meta.unitId,
      sha256,
      width: processed.width,
      height: processed.height,
      byteSize: processed.data.length,
      mediaType: processed.mediaType,
      originalName: meta.originalName?.slice(0, MAX_NAME_LENGTH) ?? null,
      createdBy: meta.createdBy,
    });
    return { id: photo.id, width: photo.width, height: photo.height, bytes: photo.byteSize, sha256 };
  }

  /**
   * Many imported photos at once (a zip of thousands): each read, checked and written several at
   * a time, their rows inserted together. One result per item: the photo, or why it was refused.
   */
  async storeImportedMany(
    items: readonly { read: () => Promise<Uint8Array>; originalName: string | null }[],
    rules: PhotoRules,
    meta: { eventId: number; unitId: number | null; createdBy: number | null },
    onProgress?: (done: number) => void,
  ): Promise<(PhotoInfo | Error)[]> {
    const results: (PhotoInfo | Error)[] = new Array(items.length);
    const pending: { index: number; row: CreationAttributes<Photo> }[] = [];
    const flush = async () => {
      const chunk = pending.splice(0);
      if (chunk.length === 0) return;
      await this.Photo.bulkCreate(chunk.map((p) => p.row));
    };
    let done = 0;
    await mapLimit(items, IMPORT_CONCURRENCY, async (item, index) => {
      try {
        const processed = await processPhoto(await item.read(), rules, { passThrough: true });
        const sha256 = await this.blobs.put(processed.data, { sync: false });
        const id = randomUUID();
        pending.push({
          index,
          row: {
            id,
            eventId: meta.eventId,
            unitId: meta.unitId,
            sha256,
            width: processed.width,
            height: processed.height,
            byteSize: processed.data.length,
            mediaType: processed.mediaType,
            originalName: item.originalName?.slice(0, MAX_NAME_LENGTH) ?? null,
            createdBy: meta.createdBy,
          },
        });
        results[index] = {
          id,
          width: processed.width,
          height: processed.height,
          bytes: processed.data.length,
          sha256,
        };
        if (pending.length >= 500) await flush();
      } catch (error) {
        results[index] = error as Error;
      }
      onProgress?.(++done);
    });
    await flush();
    // One flush for the lot, before any staged row or record can point at a photo a crash could lose.
    await this.blobs.flush();
    return results;
  }

  /**
   * A photo for reading. A unit user sees its own unit's photos and the photos on its unit's
   * records; any other photo is "not found" (its existence is not disclosed).
   */
  async get(id: string, actor: Actor): Promise<{ photo: Photo; open(): ReadStream }> {
    const notFound = () => new TesseraError('photo_not_found', '照片不存在', 404);
    if (!UUID.test(id)) throw notFound();
    const photo = await this.Photo.findByPk(id);
    if (!photo) throw notFound();
    if (actor.role === 'unit') {
      const unitId = actor.unit?.id;
      if (unitId === undefined) throw notFound();
      if (photo.unitId !== unitId) {
        const onRecord = await this.db.models.EventRecord.findOne({
          where: { eventId: photo.eventId, unitId, photo: photo.id },
          attributes: ['id'],
        });
        if (!onRecord) throw notFound();
      }
    }
    return { photo, open: () => this.blobs.stream(photo.sha256) };
  }

  /**
   * Field issues for a record's photo fields: each value must be the id of a photo of the same
   * event, and for a unit user one of its own unit's. A value equal to the stored one (`previous`)
   * is left alone, so a unit user can save a record whose photo a clerk uploaded.
   */
  async fieldIssues(
    form: FormSchema | undefined,
    values: Record<string, unknown>,
    scope: { eventId: number; actor: Actor; previous?: Record<string, unknown> | undefined },
  ): Promise<Record<string, FieldIssue[]>> {
    const issues: Record<string, FieldIssue[]> = {};
    if (!form) return issues;
    for (const [key, field] of Object.entries(form.properties)) {
      if (field?.['x-widget'] !== 'photo') continue;
      const raw = values[key];
      if (raw === undefined || raw === null || raw === '') continue;
      const value = typeof raw === 'string' ? raw.trim() : raw;
      if (value === '' || (scope.previous && value === scope.previous[key])) continue;
      if (!(await this.usable(value, scope.eventId, scope.actor))) {
        issues[key] = [
          {
            code: 'photo-not-found',
            message:
              scope.actor.role === 'unit'
                ? '照片不存在，或不是本单位为本活动上传的照片，请重新上传照片'
                : '照片不存在，或不是为本活动上传的照片，请重新上传照片',
          },
        ];
      }
    }
    return issues;
  }

  private async usable(value: unknown, eventId: number, actor: Actor): Promise<boolean> {
    if (typeof value !== 'string' || !UUID.test(value)) return false;
    const photo = await this.Photo.findOne({ where: { id: value, eventId }, attributes: ['id', 'unitId'] });
    if (!photo) return false;
    return actor.role !== 'unit' || (actor.unit !== null && photo.unitId === actor.unit.id);
  }
}
