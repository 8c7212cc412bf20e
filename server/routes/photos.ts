import { promises as fs } from 'node:fs';
import { TesseraError } from '../../core/errors.ts';
import { checkUploadSize, type CropRect } from '../../core/photos/process.ts';
import { actorOf } from '../route-params.ts';
import { defineRoutes, type ApiContext } from '../route-table.ts';

/** What this route reads of a formidable file (koa-body's `ctx.request.files`). */
interface UploadedFile {
  filepath: string;
  size: number;
  originalFilename: string | null;
}

const ENTRY_ROLES = ['admin', 'clerk', 'unit'] as const;
/** As reading records (server/routes/records.ts). */
const READ_ROLES = ['admin', 'clerk', 'unit', 'reviewer', 'operator'] as const;

/** Every file of a multipart request, so that each temporary file is removed afterwards. */
function uploadedFiles(ctx: ApiContext): UploadedFile[] {
  const files = ctx.request.files ?? {};
  return Object.values(files).flatMap((f) => (Array.isArray(f) ? f : [f])) as UploadedFile[];
}

/** The `crop` field: JSON `{x, y, width, height}` in the upright original's pixels. */
function cropOf(ctx: ApiContext): CropRect | undefined {
  const raw = (ctx.request.body as Record<string, unknown> | undefined)?.crop;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const invalid = () =>
    new TesseraError(
      'photo_crop_invalid',
      '裁剪区域格式不正确：crop 应为 JSON {"x","y","width","height"}（原图像素），请重新裁剪',
      422,
    );
  let parsed: unknown;
  try {
    parsed = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const { x, y, width, height } = parsed as Record<string, unknown>;
  const numbers = [x, y, width, height];
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) throw invalid();
  return { x: x as number, y: y as number, width: width as number, height: height as number };
}

export const photoRoutes = defineRoutes([
  {
    method: 'POST',
    path: '/api/events/:event/photos',
    summary: '上传照片 (multipart: file, optional crop JSON in original pixels; stored cropped as JPEG)',
    tag: 'photos',
    access: ENTRY_ROLES,
    handler: async (ctx, engine) => {
      const all = uploadedFiles(ctx);
      try {
        const field = ctx.request.files?.file;
        if (!field) {
          throw new TesseraError('photo_missing', '请选择要上传的照片文件（表单字段 file）', 422);
        }
        if (Array.isArray(field)) throw new TesseraError('photo_multiple', '一次只能上传一张照片', 422);
        const file = field as UploadedFile;
        const event = ctx.params.event as string;
        // Refuse an oversized file before reading it into memory.
        checkUploadSize(file.size, await engine.photos.rules(event));
        const crop = cropOf(ctx);
        const bytes = await fs.readFile(file.filepath);
        const photo = await engine.photos.upload(event, actorOf(ctx), bytes, {
          crop,
          originalName: file.originalFilename,
        });
        ctx.status = 201;
        ctx.body = {
          photo: { id: photo.id, width: photo.width, height: photo.height, url: `/api/photos/${photo.id}` },
        };
      } finally {
        await Promise.all(all.map((f) => fs.rm(f.filepath, { force: true })));
      }
    },
  },
  {
    method: 'GET',
    path: '/api/photos/:id',
    summary: '照片 (the stored JPEG; a unit user only its own unit’s photos)',
    tag: 'photos',
    access: READ_ROLES,
    handler: async (ctx, engine) => {
      const { photo, open } = await engine.photos.get(ctx.params.id as string, actorOf(ctx));
      if (!(await engine.photos.blobs.exists(photo.sha256))) {
        throw new TesseraError(
          'photo_file_missing',
          `照片 ${photo.id} 的文件丢失（数据目录不完整），请联系管理员从备份恢复，或重新上传照片`,
          500,
        );
      }
      // The bytes behind an id never change: cache for good, revalidate by content hash.
      ctx.status = 200;
      ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
      ctx.set('ETag', `"${photo.sha256}"`);
      if (ctx.fresh) {
        ctx.status = 304;
        return;
      }
      ctx.type = photo.mediaType;
      ctx.length = photo.byteSize;
      ctx.body = open();
    },
  },
]);
