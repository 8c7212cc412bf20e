// What the card designer's API returns (server/routes/layouts.ts); types only, imported by the
// designer too. All under /api/events/:event unless said otherwise:
//
//   GET  /layouts                         → LayoutList          (draft when there is one, else published)
//   GET  /layouts/:layout                 → LayoutDetail
//   PUT  /layouts/:layout   LayoutSaveBody → LayoutDetail        422 `layout_invalid` (details.issues: LayoutIssue[])
//   POST /layouts/publish   { revision }   → { version }         (the event setup's publish: a new plugin version)
//   GET  /layout-fields?kind=              → { fields: PaletteField[] }
//   GET  /layout-assets/:file              → the asset's bytes (draft, else published)
//   POST /layout-assets     multipart file, revision → { asset: LayoutAsset; revision }
//   GET  /layout-records?kind=&cardType=&q= → { records: PreviewRecord[] }
//   GET  /layout-records/:id/values?cardType= → { values: Record<field, text> } (what the card shows; for the canvas)
//   POST /layouts/preview   PreviewBody    → image/png           (X-Render-Problems: JSON, URI-encoded)
//                                          503 `render_busy` when too many previews/proofs are queued
//   POST /layouts/proof     ProofBody      → application/pdf     (X-Render-Report: JSON, URI-encoded)
//   GET  /api/card-fonts                   → { fonts: CardFontView[] }
import type { CardLayout } from '../types/generated/index.ts';
import type { LayoutIssue } from './model.ts';

export type { LayoutIssue };

export interface LayoutCardType {
  code: string;
  name: string;
  recordKind: string;
  /** The layout it prints with. */
  layout: string;
  color: string | null;
}

export interface LayoutSummary {
  code: string;
  name: string;
  file: string;
  recordKind: string;
  size: CardLayout['size'];
  hasBack: boolean;
  advanced: boolean;
  elements: number;
  /** Card types printed with it. */
  cardTypes: string[];
  errors: number;
  warnings: number;
}

export interface LayoutAsset {
  path: string;
  mediaType: string;
  bytes: number;
}

export interface LayoutList {
  event: { code: string; name: string };
  /** The draft's revision (send it back when saving); 0 = no draft yet. */
  revision: number;
  source: 'draft' | 'published';
  layouts: LayoutSummary[];
  cardTypes: LayoutCardType[];
  recordKinds: Array<{ kind: string; label: string }>;
  assets: LayoutAsset[];
}

export interface LayoutDetail {
  revision: number;
  source: 'draft' | 'published';
  file: string;
  layout: CardLayout;
  cardTypes: LayoutCardType[];
  assets: LayoutAsset[];
  /** Problems of this layout in the working copy (errors block publishing). */
  issues: LayoutIssue[];
  /** Problems elsewhere in the draft that would also block publishing. */
  otherErrors: number;
}

export interface LayoutSaveBody {
  revision: number;
  layout: CardLayout;
  /** Card types (of the layout's record kind) that should print with this layout. */
  cardTypes?: string[];
}

export interface PaletteField {
  key: string;
  label: string;
  /** `system`: supplied by the engine for every card (card number, card type, verify value…). */
  group: 'form' | 'system';
  /** The form's widget or type, to offer fitting elements (photo fields for photos …). */
  widget: string;
  description?: string;
}

export interface PreviewRecord {
  id: number;
  label: string;
  cardType: string | null;
  unit: string;
  status: string;
  hasPhoto: boolean;
}

export interface PreviewBody {
  /** The layout as edited (unsaved). */
  layout: CardLayout;
  face: 'front' | 'back';
  /** The card type whose number, colour and zones the card shows. */
  cardType: string;
  /** A real record; without it, the first record of the event of the layout's kind. */
  recordId?: number;
  /** Resolution of the PNG (72–600, default 200). */
  dpi?: number;
}

export interface ProofBody {
  layout: CardLayout;
  cardType: string;
  /** Records to print (up to 20); without them, the first `count` of the card type (else of the kind). */
  recordIds?: number[];
  count?: number;
}

export interface PreviewProblem {
  face: 'front' | 'back';
  element?: string;
  code: string;
  message: string;
}

export interface CardFontView {
  family: string;
  weights: number[];
}
