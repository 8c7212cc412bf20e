// What the card production and management API returns: plain types, imported by the designer too
// (no runtime code here). The HTTP contract, all under /api/events/:event unless said otherwise:
//
//   GET  /printable?cardType=&unit=&reviewBatch=&q=&offset=&limit=  → PrintableList   (approved, no live card)
//   POST /print-jobs            PrintJobRequest                      → 202 { job: PrintJobView }
//        409 `cards-busy` when a chosen record already has a live card (details: { recordIds })
//        422 `nothing-to-print` when the choice holds no approved record without a live card
//   GET  /print-jobs?status=&offset=&limit=                          → { jobs: PrintJobView[]; total }
//   GET  /print-jobs/:id                                             → { job: PrintJobView }
//   GET  /print-jobs/:id/pdf                                         → application/pdf (succeeded jobs)
//   POST /print-jobs/:id/cancel | /print-jobs/:id/retry              → { job: PrintJobView }
//   GET  /cards?status=&cardType=&unit=&q=&sort=&offset=&limit=      → CardList
//   GET  /cards/:id                                                  → CardDetail
//   POST /cards/:id/issue    { issuedTo: string }                    → CardDetail
//   POST /cards/:id/return   { reason?: string }                     → CardDetail
//   POST /cards/:id/lost | /damaged | /revoke   { reason: string }   → CardDetail
//   POST /cards/:id/reprint  { reason: string; print?: PrintOptions } → { card: CardView; job: PrintJobView | null }
//   GET  /records/:id/cards                                          → { cards: CardView[]; history: CardHistoryView[] }
//   GET  /api/verify/:token?event=CODE                               → VerifyResult (signed-in staff)
//   GET  /api/verify/key                                             → VerifyKey (public, for offline checks)

/** A card's state. "Not printed" is an approved record without a card. */
export type CardStatus =
  'queued' | 'printed' | 'issued' | 'returned' | 'lost' | 'damaged' | 'revoked' | 'replaced';

/** The states in which a card is live: at most one per record. */
export const LIVE_CARD_STATUSES: readonly CardStatus[] = ['queued', 'printed', 'issued'];

export const CARD_STATUS_LABELS: Record<CardStatus, string> = {
  queued: '排队制作',
  printed: '已制证',
  issued: '已发放',
  returned: '已收回',
  lost: '已挂失',
  damaged: '已损坏',
  revoked: '已注销',
  replaced: '已补制替换',
};

/** The operator's actions on a card, and the states each may start from (server and screens). */
export const CARD_ACTION_FROM = {
  issue: ['printed', 'returned'],
  return: ['issued'],
  lost: ['printed', 'issued'],
  damaged: ['printed', 'issued', 'returned'],
  revoke: ['queued', 'printed', 'issued', 'returned', 'lost', 'damaged'],
  // A reprint of a live card replaces it; of a lost/damaged/returned one, follows it.
  reprint: ['printed', 'issued', 'returned', 'lost', 'damaged'],
} as const satisfies Record<string, readonly CardStatus[]>;

export type CardOperatorAction = keyof typeof CARD_ACTION_FROM;

export type CardAction =
  | 'queue'
  | 'print'
  | 'print-failed'
  | 'issue'
  | 'return'
  | 'lost'
  | 'damaged'
  | 'revoke'
  | 'reprint'
  | 'replace';

export interface PrintOptions {
  /** null: one card per page at the card size; else N-up on this sheet. */
  sheet: 'A4' | 'A3' | null;
  /** Backs on their own sheets, mirrored so each lands behind its front (sheets only). */
  duplex: boolean;
  /** Bleed in mm around each card (0–5). */
  bleedMm: number;
  /** Crop marks. */
  marks: boolean;
  /** Print the backs too (when the layout has one). */
  backs: boolean;
}

export interface PrintJobRequest {
  cardType: string;
  /** Any combination narrows the choice; none of them = every printable record of the card type. */
  recordIds?: number[];
  units?: string[];
  reviewBatchIds?: number[];
  options: PrintOptions;
}

export type PrintJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface PrintJobView {
  id: number;
  eventCode: string;
  cardType: { code: string; name: string };
  status: PrintJobStatus;
  options: PrintOptions;
  cardCount: number;
  /** Progress of the render (cards done of cardCount) while running. */
  done: number;
  phase: string | null;
  /** The task behind it (GET /api/tasks/:id), for progress bars. */
  taskId: string | null;
  pdfBytes: number | null;
  /** Cards printed with a warning (missing photo, text shrunk…), from the render report. */
  problems: { recordId: number; cardNumber: string; name: string | null; messages: string[] }[];
  error: string | null;
  attempts: number;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface PrintableRecord {
  recordId: number;
  name: string | null;
  plateNumber: string | null;
  idNumberMasked: string | null;
  unit: { code: string; name: string };
  cardType: string;
  reviewBatchId: number | null;
  approvedAt: string | null;
  /** The record already had cards (all no longer live): printing makes a new version. */
  previousCards: number;
}

export interface PrintableList {
  records: PrintableRecord[];
  total: number;
  /** Printable records per card type (for the tabs). */
  byCardType: { code: string; name: string; count: number }[];
}

export interface CardView {
  id: number;
  eventCode: string;
  recordId: number;
  cardNumber: string;
  cardVersion: number;
  cardType: { code: string; name: string };
  status: CardStatus;
  unit: { code: string; name: string };
  name: string | null;
  plateNumber: string | null;
  idNumberMasked: string | null;
  printJobId: number | null;
  printedAt: string | null;
  issuedAt: string | null;
  issuedTo: string | null;
  statusReason: string | null;
  replacedBy: number | null;
  /** The record was edited after this card was printed (record version differs). */
  recordChanged: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CardList {
  cards: CardView[];
  total: number;
  /** Cards per status within the other filters (for the filter chips). */
  byStatus: Partial<Record<CardStatus, number>>;
}

export interface CardHistoryView {
  id: number;
  cardId: number;
  cardNumber: string;
  cardVersion: number;
  action: CardAction;
  fromStatus: CardStatus | null;
  toStatus: CardStatus;
  reason: string | null;
  detail: Record<string, unknown>;
  actor: string | null;
  at: string;
}

export interface CardDetail {
  card: CardView;
  /** Every version of this card number, newest first. */
  versions: CardView[];
  history: CardHistoryView[];
  /** URL of the record's photo for the signed-in user, when it has one. */
  photoUrl: string | null;
}

export type VerifyOutcome =
  | 'valid'
  | 'not-issued'
  | 'returned'
  | 'lost'
  | 'damaged'
  | 'revoked'
  | 'replaced'
  | 'wrong-event'
  | 'invalid';

export const VERIFY_OUTCOME_LABELS: Record<VerifyOutcome, string> = {
  valid: '有效',
  'not-issued': '未发放',
  returned: '已收回',
  lost: '已挂失',
  damaged: '已损坏',
  revoked: '已注销',
  replaced: '已补制（旧证作废）',
  'wrong-event': '非本活动证件',
  invalid: '无效二维码',
};

export interface VerifyResult {
  outcome: VerifyOutcome;
  /** Only `valid` lets the holder in. */
  ok: boolean;
  message: string;
  /** Absent for `invalid`. */
  card?: {
    cardNumber: string;
    cardVersion: number;
    cardType: { code: string; name: string };
    status: CardStatus;
    name: string | null;
    plateNumber: string | null;
    unit: { code: string; name: string };
    zones: { code: string; name: string }[];
    /** The event the card belongs to. */
    event: { code: string; name: string };
    /** The current version, when this one was replaced. */
    currentVersion: number;
  };
  /** Photo of the holder for the signed-in user (data URL or API URL), when the record has one. */
  photoUrl?: string | null;
}

/** The public key that verifies QR tokens offline (Ed25519, JWK). */
export interface VerifyKey {
  algorithm: 'Ed25519';
  keyId: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  /** How a token is built, so a gate app can check it without the server. */
  format: string;
}
