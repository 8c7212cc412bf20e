import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { TesseraError } from '../../core/errors.ts';
import { BlobStore, sha256Hex } from '../../core/photos/blob-store.ts';
import {
  centreCrop,
  DEFAULT_PHOTO_RULES,
  megabytes,
  photoRules,
  processPhoto,
  ratioLabel,
  storedSize,
  type PhotoRules,
} from '../../core/photos/process.ts';

const RULES: PhotoRules = photoRules({
  minWidthPx: 358,
  minHeightPx: 441,
  aspectRatio: 0.75,
  maxBytes: 2_000_000,
  background: 'white',
});

type Rgb = [number, number, number];

/** A raw RGB(A) image painted by a function of (x, y). */
function painted(
  width: number,
  height: number,
  paint: (x: number, y: number) => number[],
  channels: 3 | 4 = 3,
) {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw.set(paint(x, y), (y * width + x) * channels);
  return sharp(raw, { raw: { width, height, channels } });
}

async function pixel(jpeg: Buffer, x: number, y: number): Promise<Rgb> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

const near = (actual: Rgb, expected: Rgb) =>
  expect(
    actual.every((v, i) => Math.abs(v - expected[i]!) <= 24),
    `${actual} ≈ ${expected}`,
  ).toBe(true);

async function rejection(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TesseraError);
  return error as TesseraError;
}

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const GREEN: Rgb = [0, 255, 0];
const WHITE: Rgb = [255, 255, 255];

describe('photo rules and sizes', () => {
  it('fills blanks from the defaults and sizes the stored photo from the minimum', () => {
    expect(photoRules(undefined)).toEqual(DEFAULT_PHOTO_RULES);
    expect(photoRules({ minWidthPx: 300 }).minHeight).toBe(DEFAULT_PHOTO_RULES.minHeight);
    // 358×441 at 3:4 needs 478 px of height for 358 px of width.
    expect(storedSize(RULES)).toEqual({ min: { width: 359, height: 478 }, max: { width: 718, height: 956 } });
    expect(storedSize(photoRules({ minWidthPx: 300, minHeightPx: 400, aspectRatio: 0.75 }))).toEqual({
      min: { width: 300, height: 400 },
      max: { width: 600, height: 800 },
    });
  });

  it('centre-crops to the largest rectangle of the ratio', () => {
    expect(centreCrop(800, 1000, 0.75)).toEqual({ x: 25, y: 0, width: 750, height: 1000 });
    expect(centreCrop(600, 1000, 0.75)).toEqual({ x: 0, y: 100, width: 600, height: 800 });
    expect(centreCrop(300, 400, 0.75)).toEqual({ x: 0, y: 0, width: 300, height: 400 });
  });

  it('labels ratios and sizes for people', () => {
    expect(ratioLabel(0.75)).toBe('3:4');
    expect(ratioLabel(0.7)).toBe('7:10');
    expect(ratioLabel(0.7071)).toBe('0.71');
    expect(megabytes(2_000_000)).toBe('2 MB');
    expect(megabytes(2_540_000)).toBe('2.5 MB');
  });
});

describe('processPhoto', () => {
  it('applies the EXIF orientation: an 800×1000 portrait stored sideways comes out upright', async () => {
    // Stored 1000×800: left half red, right half blue. Orientation 6 = turn 90° clockwise to view,
    // so upright the red half is on top.
    const jpeg = await painted(1000, 800, (x) => (x < 500 ? RED : BLUE))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const photo = await processPhoto(jpeg, RULES);
    expect(photo.source).toEqual({ format: 'jpeg', width: 800, height: 1000 });
    expect(photo.crop).toEqual({ x: 25, y: 0, width: 750, height: 1000 });
    expect(photo.height).toBe(956);
    expect(photo.width).toBe(717);
    near(await pixel(photo.data, photo.width / 2, 10), RED);
    near(await pixel(photo.data, photo.width / 2, photo.height - 10), BLUE);
    const meta = await sharp(photo.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
  });

  it('crops the given rectangle (upright pixels) and keeps it when it is small enough', async () => {
    // Green left of x=100, red above y=50, blue elsewhere: the crop starts exactly at (100, 50).
    const png = await painted(1200, 1200, (x, y) => (x < 100 ? GREEN : y < 50 ? RED : BLUE))
      .png()
      .toBuffer();
    const photo = await processPhoto(png, RULES, { crop: { x: 100, y: 50, width: 600, height: 800 } });
    expect([photo.width, photo.height]).toEqual([600, 800]);
    expect(photo.width / photo.height).toBeCloseTo(0.75, 3);
    near(await pixel(photo.data, 1, 1), BLUE);
    near(await pixel(photo.data, 599, 799), BLUE);
  });

  it('crops in upright coordinates on a rotated JPEG too', async () => {
    const jpeg = await painted(1000, 800, (x) => (x < 500 ? RED : BLUE))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    // Upright is 800×1000 with red on top (y < 500): a crop of the lower part is all blue.
    const photo = await processPhoto(jpeg, RULES, { crop: { x: 200, y: 520, width: 360, height: 480 } });
    expect([photo.width, photo.height]).toEqual([360, 480]);
    near(await pixel(photo.data, 180, 5), BLUE);
  });

  it('shrinks a large photo to at most twice the minimum, never below it', async () => {
    const jpeg = await painted(3000, 4000, () => RED)
      .jpeg()
      .toBuffer();
    const photo = await processPhoto(jpeg, RULES);
    expect(photo.width).toBeLessThanOrEqual(718);
    expect(photo.height).toBeLessThanOrEqual(956);
    expect(photo.width).toBeGreaterThanOrEqual(358);
    expect(photo.height).toBeGreaterThanOrEqual(441);
    expect(photo.width / photo.height).toBeCloseTo(0.75, 2);
  });

  it('flattens transparency onto the background colour', async () => {
    // Transparent everywhere but a black square in the middle.
    const png = await painted(
      600,
      800,
      (x, y) => (x > 200 && x < 400 && y > 300 && y < 500 ? [0, 0, 0, 255] : [0, 0, 0, 0]),
      4,
    )
      .png()
      .toBuffer();
    const white = await processPhoto(png, RULES);
    near(await pixel(white.data, 5, 5), WHITE);
    near(await pixel(white.data, 300, 400), [0, 0, 0]);
    const blue = await processPhoto(png, { ...RULES, background: 'blue' });
    near(await pixel(blue.data, 5, 5), [0x43, 0x8e, 0xdb]);
  });

  it('accepts WebP', async () => {
    const webp = await painted(450, 600, () => GREEN)
      .webp()
      .toBuffer();
    const photo = await processPhoto(webp, RULES);
    expect(photo.source.format).toBe('webp');
    expect([photo.width, photo.height]).toEqual([450, 600]);
  });

  it('refuses a photo below the minimum resolution, naming both sizes', async () => {
    const jpeg = await painted(200, 250, () => RED)
      .jpeg()
      .toBuffer();
    const error = await rejection(processPhoto(jpeg, RULES));
    expect(error.code).toBe('photo_resolution_too_low');
    expect(error.status).toBe(422);
    expect(error.message).toContain('188×250');
    expect(error.message).toContain('358×441');
    expect(error.message).toMatch(/请上传更清晰的照片/);
  });

  it('refuses a crop that is too small even when the image is large', async () => {
    const jpeg = await painted(1200, 1600, () => RED)
      .jpeg()
      .toBuffer();
    const error = await rejection(
      processPhoto(jpeg, RULES, { crop: { x: 0, y: 0, width: 300, height: 400 } }),
    );
    expect(error.message).toContain('裁剪后 300×400 像素');
  });

  it('checks the aspect ratio within ±2 %', async () => {
    const jpeg = await painted(1200, 1600, () => RED)
      .jpeg()
      .toBuffer();
    const square = await rejection(
      processPhoto(jpeg, RULES, { crop: { x: 0, y: 0, width: 800, height: 800 } }),
    );
    expect(square.code).toBe('photo_aspect_ratio');
    expect(square.message).toContain('3:4');
    // 1.5 % off is accepted as is.
    const slightly = await processPhoto(jpeg, RULES, { crop: { x: 0, y: 0, width: 609, height: 800 } });
    expect([slightly.width, slightly.height]).toEqual([609, 800]);
  });

  it('clamps rounding at the edge but refuses a crop outside the image', async () => {
    const jpeg = await painted(600, 800, () => RED)
      .jpeg()
      .toBuffer();
    const edge = await processPhoto(jpeg, RULES, { crop: { x: 0.4, y: -0.6, width: 600.5, height: 801 } });
    expect([edge.width, edge.height]).toEqual([600, 800]);
    const outside = await rejection(
      processPhoto(jpeg, RULES, { crop: { x: 300, y: 0, width: 600, height: 800 } }),
    );
    expect(outside.code).toBe('photo_crop_invalid');
    expect(outside.message).toContain('600×800');
    const nan = await rejection(
      processPhoto(jpeg, RULES, { crop: { x: Number.NaN, y: 0, width: 6, height: 8 } }),
    );
    expect(nan.code).toBe('photo_crop_invalid');
  });

  it('refuses what is not a photo it can use', async () => {
    const text = await rejection(processPhoto(Buffer.from('%PDF-1.4 not really an image'), RULES));
    expect(text.code).toBe('photo_unsupported_format');
    expect(text.message).toMatch(/请上传 JPG 或 PNG/);
    const gif = await rejection(
      processPhoto(
        await painted(450, 600, () => RED)
          .gif()
          .toBuffer(),
        RULES,
      ),
    );
    expect(gif.message).toContain('GIF');
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="800"><rect width="600" height="800"/></svg>',
    );
    expect((await rejection(processPhoto(svg, RULES))).message).toContain('SVG');
    const truncated = (
      await painted(600, 800, (x, y) => [x % 256, y % 256, 0])
        .jpeg()
        .toBuffer()
    ).subarray(0, 2000);
    expect((await rejection(processPhoto(truncated, RULES))).code).toBe('photo_unreadable');
    expect((await rejection(processPhoto(Buffer.alloc(0), RULES))).code).toBe('photo_empty');
  });

  it('refuses an image of too many pixels before decoding it', async () => {
    const huge = await sharp({ create: { width: 8000, height: 7000, channels: 3, background: 'red' } })
      .jpeg({ quality: 50 })
      .toBuffer();
    const error = await rejection(processPhoto(huge, RULES));
    expect(error.code).toBe('photo_too_many_pixels');
    expect(error.message).toContain('8000×7000');
  });

  it('refuses a file over maxBytes with the limit in the message', async () => {
    const error = await rejection(processPhoto(Buffer.alloc(2_500_000, 1), RULES));
    expect(error.code).toBe('photo_too_large');
    expect(error.status).toBe(413);
    expect(error.message).toBe('照片超过 2 MB：文件为 2.5 MB，请压缩或裁小后重新上传');
  });
});

describe('BlobStore', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('stores content-addressed files under blobs/ab/cd/<sha256>, once, with no temporary files left', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-blobs-'));
    dirs.push(dataDir);
    const store = new BlobStore(dataDir);
    const bytes = Buffer.from('photo bytes');
    const sha = await store.put(bytes);
    expect(sha).toBe(sha256Hex(bytes));
    expect(store.pathOf(sha)).toBe(path.join(dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha));
    expect(await store.exists(sha)).toBe(true);
    expect((await store.get(sha)).equals(bytes)).toBe(true);
    expect(await store.put(Buffer.from('photo bytes'))).toBe(sha);
    expect(await readdir(path.dirname(store.pathOf(sha)))).toEqual([sha]);
    expect(await store.exists(sha256Hex(Buffer.from('other')))).toBe(false);
    expect(() => store.pathOf('../../etc/passwd')).toThrow();
  });
});
