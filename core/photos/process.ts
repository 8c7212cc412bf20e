import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { TesseraError } from '../errors.ts';
import {
  aspectMessage,
  centreCrop,
  resolutionMessage,
  storedSize,
  tooLargeMessage,
  type CropRect,
  type PhotoRules,
} from './rules.ts';

export * from './rules.ts';

export interface ProcessedPhoto {
  /** Baseline JPEG, sRGB, no metadata. */
  data: Buffer;
  width: number;
  height: number;
  mediaType: 'image/jpeg';
  /** What was uploaded: decoder name and upright size. */
  source: { format: string; width: number; height: number };
  /** The crop actually applied, in upright source pixels. */
  crop: CropRect;
}

/** Decoders accepted; anything else (GIF, SVG, TIFF, PDF …) is refused with a clear message. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif']);

/** Decompression-bomb guard: 50 megapixels is far beyond any camera photo that needs cropping. */
const MAX_INPUT_PIXELS = 50_000_000;

/** Colours that transparent areas are flattened onto. */
const BACKGROUND_COLOURS: Record<PhotoRules['background'], string> = {
  white: '#ffffff',
  blue: '#438edb',
  red: '#d9001b',
  any: '#ffffff',
};

const JPEG_QUALITY = 90;

const FORMAT_NAMES: Record<string, string> = {
  jpeg: 'JPG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  svg: 'SVG',
  tiff: 'TIFF',
  pdf: 'PDF',
  heif: 'HEIF',
  jp2k: 'JPEG 2000',
  jxl: 'JPEG XL',
  raw: 'RAW',
};

/** Refuses an upload over the event's `maxBytes` (callers may check before reading the file). */
export function checkUploadSize(size: number, rules: PhotoRules): void {
  const message = tooLargeMessage(size, rules.maxBytes);
  if (message) throw new TesseraError('photo_too_large', message, 413);
}

const unsupported = (what: string) =>
  new TesseraError(
    'photo_unsupported_format',
    `不支持的图片格式（${what}），请上传 JPG 或 PNG 格式的照片`,
    422,
  );

/**
 * A crop given by the browser, checked and rounded to whole pixels. Up to 2 px outside the image
 * is rounding (the crop tool works in fractional pixels) and is clamped; more is refused.
 */
function checkedCrop(crop: CropRect, width: number, height: number): CropRect {
  const values = [crop.x, crop.y, crop.width, crop.height];
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TesseraError(
      'photo_crop_invalid',
      '裁剪区域无效：x、y、width、height 须为数字，请重新裁剪',
      422,
    );
  }
  const slack = 2;
  if (
    crop.width < 1 ||
    crop.height < 1 ||
    crop.x < -slack ||
    crop.y < -slack ||
    crop.x + crop.width > width + slack ||
    crop.y + crop.height > height + slack
  ) {
    throw new TesseraError(
      'photo_crop_invalid',
      `裁剪区域超出图片范围：图片为 ${width}×${height} 像素，裁剪区域为 (${Math.round(crop.x)}, ${Math.round(crop.y)}) 起 ${Math.round(crop.width)}×${Math.round(crop.height)} 像素，请重新裁剪`,
      422,
    );
  }
  const x = Math.min(Math.max(0, Math.round(crop.x)), width - 1);
  const y = Math.min(Math.max(0, Math.round(crop.y)), height - 1);
  return {
    x,
    y,
    width: Math.max(1, Math.min(Math.round(crop.width), width - x)),
    height: Math.max(1, Math.min(Math.round(crop.height), height - y)),
  };
}

/**
 * Turns an uploaded image into the stored ID photo: decode (JPEG, PNG, WebP; HEIF where the
 * decoder can), apply the EXIF orientation, crop (the given rectangle in upright pixels, else
 * centred at the aspect ratio), check resolution and ratio, shrink to the stored size, flatten
 * transparency onto the background colour, and write a metadata-free JPEG.
 */
export async function processPhoto(
  bytes: Uint8Array,
  rules: PhotoRules,
  options: { crop?: CropRect | undefined; passThrough?: boolean } = {},
): Promise<ProcessedPhoto> {
  if (bytes.length === 0) {
    throw new TesseraError('photo_empty', '照片文件是空的，请重新选择照片', 422);
  }
  checkUploadSize(bytes.length, rules);
  const input = { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS } as const;

  let metadata: Metadata;
  try {
    // Header only: the pixel limit is checked below, with a message of its own.
    metadata = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
  } catch {
    throw unsupported('无法识别的文件，不是图片');
  }
  const format = metadata.format as string;
  if (!ACCEPTED_FORMATS.has(format)) throw unsupported(FORMAT_NAMES[format] ?? format.toUpperCase());
  const heic = format === 'heif' && metadata.compression === 'hevc';
  if (!metadata.width || !metadata.height) throw unsupported(FORMAT_NAMES[format] ?? format);
  if (metadata.width * metadata.height > MAX_INPUT_PIXELS) {
    throw new TesseraError(
      'photo_too_many_pixels',
      `图片像素过多（${metadata.width}×${metadata.height}），请缩小到 5000 万像素以内后上传`,
      422,
    );
  }
  const upright = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };

  const crop = options.crop
    ? checkedCrop(options.crop, upright.width, upright.height)
    : centreCrop(upright.width, upright.height, rules.aspectRatio);

  const lowResolution = resolutionMessage(crop.width, crop.height, rules);
  if (lowResolution) {
    throw new TesseraError(
      'photo_resolution_too_low',
      `${lowResolution}（原图 ${upright.width}×${upright.height} 像素）`,
      422,
      { crop, min: { width: rules.minWidth, height: rules.minHeight } },
    );
  }
  const wrongShape = aspectMessage(crop.width, crop.height, rules.aspectRatio);
  if (wrongShape) throw new TesseraError('photo_aspect_ratio', wrongShape, 422);

  const { max } = storedSize(rules);
  // Fast path: a baseline-ready JPEG that is already upright, at the ratio, within the stored
  // size and carries no metadata is stored as sent. Re-encoding it would only lose quality,
  // and a 10,000-photo import must not spend minutes re-compressing photos that are fine.
  if (
    options.passThrough &&
    format === 'jpeg' &&
    !options.crop &&
    (metadata.orientation ?? 1) === 1 &&
    !metadata.exif &&
    !metadata.icc &&
    !metadata.xmp &&
    metadata.space === 'srgb' &&
    crop.width === upright.width &&
    crop.height === upright.height &&
    upright.width <= max.width &&
    upright.height <= max.height
  ) {
    return {
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      width: upright.width,
      height: upright.height,
      mediaType: 'image/jpeg',
      source: { format, width: upright.width, height: upright.height },
      crop,
    };
  }
  let output: { data: Buffer; info: OutputInfo };
  try {
    output = await sharp(bytes, input)
      .rotate()
      .extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height })
      .resize({ width: max.width, height: max.height, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: BACKGROUND_COLOURS[rules.background] })
      .toColourspace('srgb')
      .jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4' })
      .toBuffer({ resolveWithObject: true });
  } catch {
    if (heic) {
      throw new TesseraError(
        'photo_unsupported_format',
        '不支持的图片格式（HEIC，苹果手机默认格式），请在手机上导出为 JPG（或在相机设置中选"兼容性最佳"）后上传',
        422,
      );
    }
    throw new TesseraError('photo_unreadable', '照片文件已损坏或不完整，无法读取，请重新导出后上传', 422);
  }
  return {
    data: output.data,
    width: output.info.width,
    height: output.info.height,
    mediaType: 'image/jpeg',
    source: { format: heic ? 'heic' : format, width: upright.width, height: upright.height },
    crop,
  };
}

/**
 * processPhoto for a file a person chose: a refusal names the file (「证件照.jpg」：不支持的图片格式…),
 * so a clerk replacing photos one after another knows which one to fix.
 */
export async function processPhotoFile(
  bytes: Uint8Array,
  rules: PhotoRules,
  options: { crop?: CropRect | undefined; passThrough?: boolean },
  fileName: string | null,
): Promise<ProcessedPhoto> {
  try {
    return await processPhoto(bytes, rules, options);
  } catch (error) {
    if (!(error instanceof TesseraError) || !fileName) throw error;
    throw new TesseraError(error.code, `照片「${fileName}」：${error.message}`, error.status, error.details);
  }
}
