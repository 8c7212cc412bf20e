// What the import API returns: plain types, imported by the designer too (no runtime code here).
import type { MappingProfile } from '../types/generated/index.ts';
import type { PhotoReview } from './photo-match.ts';
import type { ImportIssue } from './types.ts';

export type { ImportIssue, PhotoReview };
export type { PhotoSource } from './photo-match.ts';

export type BatchStatus = 'staging' | 'staged' | 'failed' | 'committing' | 'committed' | 'discarded';

export interface BatchColumn {
  col: number;
  header: string;
  /** The field it feeds, or null. */
  field: string | null;
  /** How it was recognised (template, profile, label, synonym …) and how sure. */
  source?: string;
  confidence?: number;
}

export interface RowPage {
  rows: RowView[];
  total: number;
  page: number;
  pageSize: number;
}

export interface FieldIssue {
  code: string;
  message: string;
}

export type RowStatus = 'valid' | 'invalid' | 'deleted' | 'committed' | 'rejected';

export interface BatchCounts {
  /** Data rows of the sheet (blank, title and instruction rows are not data rows). */
  rows: number;
  valid: number;
  invalid: number;
  deleted: number;
  committed: number;
  rejected: number;
  /** Rows of the sheet that are not data rows (title, blank, instructions). */
  skipped: number;
  photosMatched: number;
  photosUnmatched: number;
}

export interface BatchView {
  id: number;
  eventCode: string;
  /** Null for a dry run checked for no unit. */
  unit: { code: string; name: string } | null;
  kind: string;
  status: BatchStatus;
  fileName: string;
  fileBytes: number;
  sheet: string | null;
  headerRow: number | null;
  headers: string[];
  mapping: MappingProfile | null;
  /** The named profile the mapping came from or started from; null for a purely automatic one. */
  profileCode: string | null;
  /** The sheets of the file (a restage may pick another). */
  sheets: string[];
  /** Per column: header, the field it feeds (or null), how it was chosen. */
  columns: BatchColumn[];
  counts: BatchCounts;
  /** Rows skipped, file-level warnings, missing required columns … */
  notes: ImportIssue[];
  photoReview: PhotoReview | Record<string, never>;
  taskId: string | null;
  createdAt: string;
  /** Who uploaded it, and who committed it. */
  createdBy: string | null;
  committedAt: string | null;
  committedBy: string | null;
}

export interface RowView {
  id: number;
  sheet: string;
  row: number;
  status: RowStatus;
  /** Normalised values; the ID number masked. */
  values: Record<string, unknown>;
  /** The cells as written in the sheet, by header (the ID number masked unless it is invalid). */
  raw: Record<string, string>;
  errors: Record<string, FieldIssue[]>;
  warnings: Record<string, FieldIssue[]>;
  photoId: string | null;
  photoSource: string | null;
  /** The zip entry the photo came from (null: pasted in the sheet, or uploaded later). */
  photoFile: string | null;
  version: number;
  edited: { by: string | null; at: string } | null;
  deleted: { by: string | null; at: string; reason: string | null } | null;
  recordId: number | null;
  rejectReason: string | null;
}

/** A sample file read with a mapping (the mapping page). */
export interface MappingPreview {
  sheets: string[];
  sheet: string;
  headerRow: number | null;
  headers: string[];
  columns: BatchView['columns'];
  profile: MappingProfile;
  profileCode: string | null;
  /** Required fields no column or fixed value feeds. */
  unmatchedRequired: string[];
  dataRows: number;
  notes: ImportIssue[];
  rows: {
    row: number;
    values: Record<string, unknown>;
    errors: { field: string; code: string; message: string }[];
  }[];
}

/** What `--json` and the report print for a row. */
export interface StagedRowSummary {
  row: number;
  status: RowStatus;
  values: Record<string, unknown>;
  errors: { field: string; code: string; message: string }[];
  photo: string | null;
}

export interface CommitReport {
  batch: number;
  status: BatchStatus;
  totals: {
    sourceRows: number;
    committed: number;
    deleted: number;
    rejected: number;
    /** Rows not yet decided (before commit). */
    pending: number;
    skipped: number;
    /** sourceRows = committed + deleted + rejected + pending. */
    reconciled: boolean;
  };
  deleted: { row: number; by: string | null; at: string; reason: string | null }[];
  rejected: { row: number; reason: string }[];
  skipped: { row: number; reason: string }[];
}

/** A mapping profile as the mapping page lists it. */
export interface ProfileView {
  code: string;
  name: string;
  recordKind: string;
  /** `plugin`: shipped with the event's plugin (read-only here); `saved`: saved by the office. */
  source: 'plugin' | 'saved';
  profile: MappingProfile;
  /** Units whose sheets were last committed with this profile. */
  units: { code: string; name: string }[];
  updatedAt: string | null;
  updatedBy: string | null;
}

/** Where a check found the saved profile at fault (pointer into the profile). */
export interface ProfileIssue {
  pointer: string;
  code: string;
  message: string;
}

/** `details` of a 422 `profile_invalid`. */
export interface ProfileInvalidDetails {
  issues: ProfileIssue[];
  warnings: ProfileIssue[];
}
