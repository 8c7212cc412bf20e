// What the review API returns: plain types, imported by the designer too (no runtime code here).

export type Decision = 'approve' | 'reject' | 'return';

export interface ReviewBatchView {
  id: number;
  eventCode: string;
  unit: { code: string; name: string };
  /** `open` while any record waits for a decision. */
  status: 'open' | 'decided';
  note: string | null;
  recordCount: number;
  cardTypes: string[];
  hasImportant: boolean;
  /** The most important card type's level in the batch (1 = most important). */
  topImportance: number | null;
  submittedBy: string | null;
  submittedAt: string;
  decidedAt: string | null;
  counts: { pending: number; approved: number; rejected: number; returned: number };
}

/** One card type of a unit's declaration in an event. */
export interface CardTypeSummary {
  code: string;
  name: string;
  recordKind: string;
  important: boolean;
  importanceLevel: number | null;
  /** Everything submitted at least once: pending + approved + rejected + returned. */
  applied: number;
  approved: number;
  rejected: number;
  returned: number;
  /** Submitted, waiting for a decision. */
  pending: number;
  /** Not yet submitted. */
  drafts: number;
  printed: number;
  /** The unit's quota for this card type (its own, else the per-unit one); null: no quota. */
  quota: number | null;
  /** quota − approved; null without a quota. */
  remaining: number | null;
}

export interface DeclarationSummary {
  event: string;
  unit: { code: string; name: string };
  /** When the numbers were counted. */
  at: string;
  /** Important card types first. */
  cardTypes: CardTypeSummary[];
  /** The unit in earlier events. */
  history: { event: string; name: string; applied: number; approved: number; rejected: number }[];
}

export interface DuplicateHint {
  /** `other-unit`: the same person in another unit's application in this event; `rejected-before`: rejected in this or an earlier event. */
  kind: 'other-unit' | 'rejected-before';
  recordId: number;
  event: string;
  unit: { code: string; name: string };
  status: string;
  cardType: string | null;
  reason: string | null;
}

export interface ReviewFlag {
  field: string;
  level: 'error' | 'warning';
  message: string;
}

/** A card type of the review screen's context: the summary, plus what this batch still asks for. */
export interface ContextCardType extends CardTypeSummary {
  /** Records of this batch waiting for a decision. */
  inBatch: number;
  /** quota − approved − inBatch; null without a quota. */
  remainingAfterBatch: number | null;
}

export interface ReviewContext extends Omit<DeclarationSummary, 'cardTypes'> {
  cardTypes: ContextCardType[];
}

export interface ReviewCounts {
  open: number;
  pendingRecords: number;
  importantPending: number;
}

/** `GET /api/events/:event/review-batches`. */
export interface ReviewList {
  batches: ReviewBatchView[];
  counts: ReviewCounts;
}

/** A card type an approval would take past the unit's quota (`details.overQuota` of a 409). */
export interface OverQuota {
  cardType: string;
  quota: number;
  approved: number;
  adding: number;
}

/** `POST /api/review-batches/:id/decisions`. */
export interface DecisionResult {
  decision: Decision;
  records: number[];
  quotaOverride: OverQuota[];
  batch: ReviewBatchView;
}

/** One decision on a record (`GET …/records/:id/decisions`, newest first). */
export interface DecisionEntry {
  decision: 'approved' | 'rejected' | 'returned';
  reason: string | null;
  quota_override: boolean;
  decided_at: string;
  decided_by: string | null;
}
