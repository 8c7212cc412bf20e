/**
 * Photos at 300 ppi of their printed size. Chromium embeds a JPEG as it is given, so a 900 px
 * photo printed 22 mm wide would carry four times the pixels the printer can use; sharp resizes
 * it first (centre crop for `cover`, whole photo for `contain`, never enlarged).
 */
import sharp from 'sharp';
import { photoKey, type PhotoSlot, type PreparedPhoto } from './template.ts';

export const PRINT_PPI = 300;
/** Below this the photo prints visibly soft: reported as a warning, printed anyway. */
const LOW_PPI = 150;

/** Finds a photo's bytes: null when there is none (missing file, unknown id). */
export type PhotoLoader = (value: string) => Promise<Uint8Array | null>;

const pixels = (mm: number) => Math.max(1, Math.round((mm / 25.4) * PRINT_PPI));

export async function preparePhoto(
  bytes: Uint8Array,
  slot: Pick<PhotoSlot, 'widthMm' | 'heightMm' | 'fit'>,
): Promise<PreparedPhoto> {
  const width = pixels(slot.widthMm);
  const height = pixels(slot.heightMm);
  try {
    const image = sharp(bytes, { limitInputPixels: 50_000_000, failOn: 'error' }).rotate();
    const { data, info } = await image
      .resize({
        width,
        height,
        fit: slot.fit === 'contain' ? 'inside' : 'cover',
        withoutEnlargement: true,
        // Cubic is visibly the same as Lanczos at these sizes and a third faster.
        kernel: 'cubic',
      })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 88 })
      .toBuffer({ resolveWithObject: true });
    const ppi = Math.min((info.width / slot.widthMm) * 25.4, (info.height / slot.heightMm) * 25.4);
    const src = `data:image/jpeg;base64,${data.toString('base64')}`;
    if (slot.fit === 'cover' && ppi < LOW_PPI) {
      return {
        src,
        warning: {
          code: 'photo-low-resolution',
          message: `照片分辨率偏低（约 ${Math.round(ppi)} ppi，印刷需 ${PRINT_PPI} ppi）`,
        },
      };
    }
    return { src };
  } catch (error) {
    return { code: 'photo-unreadable', message: `照片无法读取：${(error as Error).message}` };
  }
}

/**
 * Prepares every photo a batch of cards needs, each distinct (photo, slot) once. Work is spread
 * over sharp's thread pool a few at a time, so a big batch does not queue thousands of buffers.
 */
export async function preparePhotos(
  wanted: Array<{ value: string; slot: Pick<PhotoSlot, 'widthMm' | 'heightMm' | 'fit'> }>,
  load: PhotoLoader,
  concurrency = 4,
): Promise<Map<string, PreparedPhoto>> {
  const out = new Map<string, PreparedPhoto>();
  const todo = new Map<string, (typeof wanted)[number]>();
  for (const w of wanted) todo.set(photoKey(w.value, w.slot), w);
  const queue = [...todo.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [key, { value, slot }] = next;
      let bytes: Uint8Array | null;
      try {
        bytes = await load(value);
      } catch (error) {
        out.set(key, { code: 'photo-unreadable', message: `照片无法读取：${(error as Error).message}` });
        continue;
      }
      out.set(
        key,
        bytes ? await preparePhoto(bytes, slot) : { code: 'photo-missing', message: '照片文件不存在' },
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return out;
}
