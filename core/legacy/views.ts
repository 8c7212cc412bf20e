// What a migration from the previous system reports (JSON file, markdown summary, CLI output).
// Plain types, no runtime code. ID numbers in these texts are masked; the problem-row files
// (CSV/xlsx) carry the source cells in full for the person who fixes them.

export type LegacySource = 'unit' | 'person' | 'vehicle';

/** One source file: every data row ends created, already there (an earlier run), or rejected. */
export interface LegacySourceCount {
  source: LegacySource;
  file: string;
  sheet: string;
  headerRow: number;
  /** Data rows under the header. */
  rows: number;
  /** Created by this run (dry run: would be created). */
  created: number;
  /** Already migrated by an earlier run (same legacy key), or a unit already in the system. */
  existing: number;
  rejected: number;
  /** Rows that are no data (titles, blanks, notes under the table), listed with why. */
  skipped: { row: number; reason: string }[];
  /** rows = created + existing + rejected. */
  reconciled: boolean;
}

export interface LegacyProblem {
  source: LegacySource;
  file: string;
  sheet: string;
  row: number;
  field: string;
  reason: string;
}

export interface LegacyDuplicate {
  /** 'same-unit': the later rows were rejected; 'across-units': all imported (one person, two organisations). */
  kind: 'same-unit' | 'across-units' | 'existing-record';
  key: string;
  rows: { file: string; row: number; unit: string }[];
}

export interface LegacyCardNumberNote {
  file: string;
  row: number;
  cardType: string;
  cardNumber: string;
  note: string;
}

export interface LegacyChecksumMismatch {
  source: LegacySource;
  file: string;
  row: number;
  recordId: number | null;
  what: 'record' | 'photo';
  detail: string;
}

export interface LegacyReport {
  name: string;
  event: string;
  mappingFile: string;
  mappingSha256: string;
  dryRun: boolean;
  runId: number | null;
  startedAt: string;
  finishedAt: string;
  sources: LegacySourceCount[];
  /** What the run created (dry run: would create), per table. */
  created: {
    units: number;
    records: Record<string, number>;
    cards: number;
    cardHistory: number;
    photos: number;
  };
  problems: LegacyProblem[];
  duplicates: LegacyDuplicate[];
  /** Rows migrated earlier whose source values have changed since: left as they are, listed. */
  changedSinceMigrated: { file: string; row: number; key: string }[];
  photos: {
    files: number;
    matched: number;
    /** Rows of a form with a photo field that got no photo. */
    rowsWithoutPhoto: { file: string; row: number; name: string | null }[];
    /** Files in the photo folders that no row took. */
    orphaned: string[];
    ambiguous: { file: string; row: number; files: string[]; reason: string }[];
    /** Photos that could not be used (the original is kept, the record has no photo). */
    unusable: { file: string; row: number; photo: string; reason: string }[];
  };
  cardNumbers: {
    /** Legacy numbers used already (in the system or twice in the source): those rows are rejected. */
    clashes: LegacyCardNumberNote[];
    /** Legacy numbers that do not follow the card type's pattern: kept as they are. */
    nonMatching: LegacyCardNumberNote[];
    /** Cards without a legacy number: numbered after the highest legacy number. */
    numbered: LegacyCardNumberNote[];
    /** The card number counters after the run. */
    counters: { cardType: string; before: number | null; after: number }[];
  };
  checksums: {
    records: { checked: number; equal: number };
    photos: { checked: number; equal: number };
    mismatches: LegacyChecksumMismatch[];
  };
  /** Every source file reconciles and every checksum is equal. */
  reconciled: boolean;
}

export interface LegacyProgress {
  phase: string;
  done: number;
  total: number;
}
