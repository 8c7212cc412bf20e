/**
 * Photo requirements and the checks both the browser (crop dialog) and the server (upload)
 * make, with the same words: pure functions, no image library.
 */
import type { PhotoSpec } from '../types/generated/index.ts';

/** The event's photo requirements with every blank filled in. */
export interface PhotoRules {
  minWidth: number;
  minHeight: number;
  /** Width / height, e.g. 0.75 for 3:4. */
  aspectRatio: number;
  /** Largest accepted upload (the original file, before processing). */
  maxBytes: number;
  background: 'white' | 'blue' | 'red' | 'any';
}

/** A rectangle in the pixels of the original image turned upright (EXIF orientation applied). */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** 358×441 px at 3:4 is the common ID-photo size; used where a plugin declares no photo block. */
export const DEFAULT_PHOTO_RULES: PhotoRules = {
  minWidth: 358,
  minHeight: 441,
  aspectRatio: 0.75,
  maxBytes: 2_000_000,
  background: 'white',
};

/** How far a crop's width/height may stray from the event's aspect ratio (relative). */
export const ASPECT_TOLERANCE = 0.02;

export function photoRules(spec: PhotoSpec | undefined): PhotoRules {
  return {
    minWidth: spec?.minWidthPx ?? DEFAULT_PHOTO_RULES.minWidth,
    minHeight: spec?.minHeightPx ?? DEFAULT_PHOTO_RULES.minHeight,
    aspectRatio: spec?.aspectRatio ?? DEFAULT_PHOTO_RULES.aspectRatio,
    maxBytes: spec?.maxBytes ?? DEFAULT_PHOTO_RULES.maxBytes,
    background: spec?.background ?? DEFAULT_PHOTO_RULES.background,
  };
}

/**
 * The stored size: the smallest size at the event's aspect ratio that still meets the minimum
 * (enough for 300 ppi at the printed size), and at most twice that, so a photo is never kept
 * larger than printing needs.
 */
export function storedSize(rules: Pick<PhotoRules, 'minWidth' | 'minHeight' | 'aspectRatio'>): {
  min: { width: number; height: number };
  max: { width: number; height: number };
} {
  const height = Math.max(rules.minHeight, Math.ceil(rules.minWidth / rules.aspectRatio));
  const width = Math.max(rules.minWidth, Math.ceil(height * rules.aspectRatio));
  return { min: { width, height }, max: { width: width * 2, height: height * 2 } };
}

/** The largest rectangle of the given aspect ratio centred in a width×height image. */
export function centreCrop(width: number, height: number, aspectRatio: number): CropRect {
  if (width / height > aspectRatio) {
    const w = Math.max(1, Math.min(width, Math.round(height * aspectRatio)));
    return { x: Math.floor((width - w) / 2), y: 0, width: w, height };
  }
  const h = Math.max(1, Math.min(height, Math.round(width / aspectRatio)));
  return { x: 0, y: Math.floor((height - h) / 2), width, height: h };
}

/** `0.75` → `3:4`, when a small whole-number ratio matches; otherwise the decimal. */
export function ratioLabel(aspectRatio: number): string {
  for (let q = 1; q <= 12; q++) {
    const p = Math.round(aspectRatio * q);
    if (p > 0 && Math.abs(p / q - aspectRatio) < 0.0005) return `${p}:${q}`;
  }
  return aspectRatio.toFixed(2);
}

/** Bytes as "2 MB" / "2.5 MB" (decimal megabytes, as plugins write maxBytes: 2000000). */
export function megabytes(bytes: number): string {
  const mb = bytes / 1_000_000;
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

/** Why a file is too big to upload, or null. */
export function tooLargeMessage(size: number, maxBytes: number): string | null {
  if (size <= maxBytes) return null;
  return `照片超过 ${megabytes(maxBytes)}：文件为 ${megabytes(size)}，请压缩或裁小后重新上传`;
}

/** Why a crop of width×height pixels is below the minimum resolution, or null. */
export function resolutionMessage(
  width: number,
  height: number,
  rules: Pick<PhotoRules, 'minWidth' | 'minHeight'>,
): string | null {
  if (width >= rules.minWidth && height >= rules.minHeight) return null;
  return `照片分辨率不足：裁剪后 ${width}×${height} 像素，至少需要 ${rules.minWidth}×${rules.minHeight} 像素，请上传更清晰的照片`;
}

/** Why a crop of width×height pixels has the wrong shape (beyond ±2 %), or null. */
export function aspectMessage(width: number, height: number, aspectRatio: number): string | null {
  const ratio = width / height;
  if (Math.abs(ratio / aspectRatio - 1) <= ASPECT_TOLERANCE) return null;
  return `裁剪比例不符：裁剪区域 ${width}×${height} 像素，宽高比 ${ratio.toFixed(2)}，本活动要求 ${ratioLabel(aspectRatio)}，请按要求重新裁剪`;
}
