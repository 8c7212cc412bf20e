// The on-disk contract of a backup: what manifest.json holds. Plain types, no runtime code
// except constants, so the designer may import them later for an admin page.

export const BACKUP_FORMAT = 'tessera-backup/1';

export type BackupKind = 'full' | 'incremental';

/** One file of a backup, with the checksum of its bytes as stored (compressed where it is). */
export interface BackupPart {
  /** Relative to the backup's folder, `/`-separated. */
  path: string;
  bytes: number;
  sha256: string;
  role: 'table' | 'changes' | 'transactions' | 'blob-index' | 'file-index' | 'keys' | 'file';
  /** For `table` parts: the table and how many rows COPY wrote. */
  table?: string;
  rows?: number;
}

/**
 * A table's content at the backup's snapshot: row count and an order-independent checksum of
 * every row's text form (two 64-bit sums of per-row md5 halves). A restore recomputes it on the
 * restored copy: equal means every row came back as it was.
 */
export interface TableState {
  name: string;
  /** `name type` per column, in order: the restore refuses a schema that does not match. */
  columns: string[];
  rows: number;
  checksum: string;
}

export interface SequenceState {
  name: string;
  value: string;
  isCalled: boolean;
}

/** A point in the database's own clock, ISO UTC with microseconds, plus the MVCC snapshot. */
export interface SnapshotMark {
  /** `pg_current_snapshot()` of the backup's transaction (xmin:xmax:xip…). */
  xid: string;
  /** clock_timestamp() when the snapshot was taken, e.g. 2026-01-05T02:30:00.123456Z. */
  at: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  /** Also the backup's folder name, e.g. 20260105T023000123Z-full. */
  id: string;
  kind: BackupKind;
  /** Id of the full backup this one builds on (itself for a full). */
  chain: string;
  /** 0 for the full, 1, 2 … for its incrementals in order. */
  sequence: number;
  parent: string | null;
  /** The parent's manifest checksum: a replaced or edited parent breaks the chain visibly. */
  parentChecksum: string | null;
  createdAt: string;
  finishedAt: string;
  snapshot: SnapshotMark;
  /** For an incremental: the parent's snapshot; the changes are those in `snapshot` but not in this. */
  previousSnapshot: SnapshotMark | null;
  database: {
    mode: 'embedded' | 'external';
    server: string;
    name: string;
    /** Migrations applied (schema level); every backup of a chain has the same list. */
    migrations: string[];
  };
  tables: TableState[];
  sequences: SequenceState[];
  /** Incremental only: captured row changes and the transactions they belong to. */
  changes: { rows: number; transactions: number; tables: string[] } | null;
  blobs: {
    /** Blob files stored in this backup (a full: all; an incremental: the new ones). */
    count: number;
    bytes: number;
  };
  files: {
    /** Other stored files under the data folder written into this backup (new or changed ones). */
    count: number;
    bytes: number;
    /** Paths that were in the chain and are gone now. */
    removed: string[];
  };
  keys: {
    /** HMAC fingerprint of the data keys in effect, never the keys themselves. */
    fingerprint: string | null;
    source: 'env' | 'file' | 'none';
    /** Whether `keys/secrets.json` is in this backup. */
    included: boolean;
  };
  parts: BackupPart[];
  /** The domain's counts at the snapshot (absent in backups made before they were recorded). */
  counts?: DomainCounts;
  /** Things worth a look that did not stop the backup (a damaged blob in the live store, say). */
  warnings: string[];
  /** sha256 of this manifest's canonical JSON without this field. */
  checksum: string;
}

/** Counts in the domain's words at a backup's snapshot: `records` by `kind/status`, `cards` by status. */
export interface DomainCounts {
  events: number;
  units: number;
  users: number;
  photos: number;
  records: Record<string, number>;
  cards: Record<string, number>;
}

/** A line of the blob index: name (= sha256 of the bytes), size, and the live file's mtime. */
export interface BlobEntry {
  sha256: string;
  bytes: number;
  /** Nanoseconds since the epoch, as a decimal string (beyond Number's precision). */
  mtimeNs: string;
}

/** A line of the file index: a stored file other than blobs and keys, relative to the data folder. */
export interface FileEntry {
  path: string;
  sha256: string;
  bytes: number;
  mtimeNs: string;
}

/** What the task API and the CLI show about one backup. */
export interface BackupSummary {
  id: string;
  kind: BackupKind;
  chain: string;
  sequence: number;
  createdAt: string;
  finishedAt: string;
  snapshotAt: string;
  /** Bytes of this backup's folder (parts and blobs). */
  bytes: number;
  rows: number;
  changes: number | null;
  blobs: number;
  files: number;
  warnings: string[];
  dir: string;
}

export interface BackupProblem {
  /** The backup (folder name) the problem is about. */
  backupId: string;
  code:
    | 'unreadable'
    | 'manifest_checksum'
    | 'part_missing'
    | 'part_checksum'
    | 'blob_missing'
    | 'blob_checksum'
    | 'blob_extra'
    | 'orphan'
    | 'gap'
    | 'duplicate'
    | 'parent'
    | 'order'
    | 'schema';
  /** In Chinese, naming the backup and what is wrong. */
  message: string;
}
