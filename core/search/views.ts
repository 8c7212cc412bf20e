// What the search API returns (综合查询): plain types, imported by the designer too (no runtime
// code beyond constants). GET /api/events/:event/search?q=&limit= → SearchResponse.
import type { CardStatus } from '../cards/views.ts';

/** Which index a hit came through. */
export type SearchKind = 'idNumber' | 'cardNumber' | 'plate' | 'name' | 'nameFuzzy' | 'unit';

export const SEARCH_KIND_LABELS: Record<SearchKind, string> = {
  idNumber: '证件号码',
  cardNumber: '证件编号',
  plate: '车牌号',
  name: '姓名',
  nameFuzzy: '姓名（近似）',
  unit: '单位',
};

export interface SearchHit {
  recordId: number;
  /** person | vehicle. */
  kind: string;
  status: string;
  /** A person's name, or a vehicle's driver. */
  name: string | null;
  plateNumber: string | null;
  /** Always masked: full numbers are never in search results (reading one is its own audited call). */
  idNumberMasked: string | null;
  organization: string | null;
  unit: { code: string; name: string };
  cardType: { code: string; name: string; important: boolean } | null;
  /** The record's live card, else its latest one; null when it never had a card. */
  card: { id: number; number: string; version: number; status: CardStatus } | null;
  matchedBy: SearchKind;
  /** Fuzzy name hits: the share of name bigrams in common (0–1). */
  similarity?: number;
}

export interface SearchResponse {
  q: string;
  /** What the text was taken for, in the order they were tried (shown as chips). */
  kinds: SearchKind[];
  /** Hits per kind (before the limit). */
  counts: Partial<Record<SearchKind, number>>;
  hits: SearchHit[];
  /** More matched than `limit`. */
  truncated: boolean;
  /** Units whose name or code matched (for the unit chip). */
  units: { code: string; name: string }[];
  limit: number;
  tookMs: number;
}
