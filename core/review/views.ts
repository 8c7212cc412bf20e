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
