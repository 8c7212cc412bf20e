// Shapes of the server's JSON responses that the older screens use. Newer screens import their
// types from core/ (e.g. core/events/setup-types.ts), where the server builds the responses.
import type { Role } from '@core/roles.ts';
import type { PhotoRules } from '@core/photos/rules.ts';

export type { Role };

export type RecordKind = 'person' | 'vehicle' | (string & {});

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    details?: unknown;
  };
}

export interface UnitRef {
  code: string;
  name: string;
}

export interface User {
  id: string | number;
  username: string;
  displayName: string;
  role: Role;
  unit: UnitRef | null;
}

/** `POST /api/auth/login` and `GET /api/auth/me`. */
export interface AuthResponse {
  user: User;
  csrfToken: string;
}

export interface VenueRef {
  code: string;
  name: string;
}

export interface PluginRef {
  code: string;
  version: string;
}

export interface EventSummary {
  code: string;
  name: string;
  shortName: string | null;
  kind: string;
  organizer: string | null;
  startDate: string;
  endDate: string;
  venues: VenueRef[];
  plugin: PluginRef;
  counts: { person: number; vehicle: number; units: number };
  cardTypeCount: number;
  zoneCount: number;
}

/** `GET /api/events`. */
export interface EventListResponse {
  events: EventSummary[];
}

export interface Venue extends VenueRef {
  address: string | null;
}

export interface Zone {
  code: string;
  name: string;
  color: string | null;
  venue: string | null;
}

export interface EventDetail {
  code: string;
  name: string;
  shortName: string | null;
  kind: string;
  organizer: string | null;
  description: string | null;
  startDate: string;
  endDate: string;
  timezone: string;
  venues: Venue[];
  zones: Zone[];
  plugin: PluginRef & {
    storedVersion: string | null;
    checksum: string | null;
    loadedAt: string | null;
  };
}

export interface FieldSummary {
  key: string;
  label: string;
  widget: string;
  required: boolean;
  sensitive: boolean;
}

export interface RecordKindSummary {
  kind: RecordKind;
  label: string;
  fieldCount: number;
  fields: FieldSummary[];
}

export interface CardType {
  code: string;
  name: string;
  recordKind: RecordKind;
  important: boolean;
  importanceLevel: number;
  zones: string[];
  color: string | null;
  quota: { perUnit: number | null; total: number | null } | null;
}

/** `GET /api/events/:code`. */
export interface EventDetailResponse {
  event: EventDetail;
  recordKinds: RecordKindSummary[];
  cardTypes: CardType[];
  counts: {
    byStatus: Record<string, number>;
    byKind: Record<string, number>;
  };
}

// ---- records (信息采集) — mirrors of the server's record and form responses ----

/** One option of a `select`/`radio` field: JSON Schema `oneOf: [{const, title}]`. */
export interface SchemaOption {
  const: string | number | boolean;
  title?: string;
}

/** One property of a form's JSON Schema, with the `x-` UI hints the designer understands. */
export interface FieldSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: (string | number | boolean)[];
  oneOf?: SchemaOption[];
  items?: FieldSchema;
  default?: unknown;
  'x-label'?: string;
  'x-widget'?: string;
  'x-placeholder'?: string;
  'x-help'?: string;
  'x-width'?: number;
  'x-sensitive'?: boolean;
}

/** The JSON Schema form of one record kind. */
export interface FormSchema {
  type?: 'object';
  title?: string;
  'x-label'?: string;
  properties: Record<string, FieldSchema>;
  required?: string[];
}

export interface FormCardType {
  code: string;
  name: string;
  important: boolean;
  /** Not in the contract; used to filter by kind when the server sends it. */
  recordKind?: RecordKind;
}

export interface FormZone {
  code: string;
  name: string;
  color: string | null;
}

/** `GET /api/events/:event/forms/:kind`. */
export interface FormResponse {
  kind: RecordKind;
  label: string;
  schema: FormSchema;
  required: string[];
  cardTypes: FormCardType[];
  zones: FormZone[];
  /** Every unit for staff; only the user's own unit for a unit user. */
  units: UnitRef[];
  /** The event's photo rules (plugin.json `photo`, blanks filled with the defaults). */
  photo: PhotoRules;
}

/** A record as listed: `GET /api/events/:event/records`. */
export interface RecordSummary {
  /** A number from the current server; always compared via `String(id)`. */
  id: string | number;
  kind: RecordKind;
  status: string;
  unit: UnitRef;
  cardType: string | null;
  name: string | null;
  idNumberMasked: string | null;
  gender: string | null;
  birthDate: string | null;
  organization: string | null;
  mobile: string | null;
  plateNumber: string | null;
  /** Not in the contract yet; shown in the vehicle list when the server sends them. */
  vehicleType?: string | null;
  driverName?: string | null;
  updatedAt: string;
  /** The latest review decision's reason (returned or rejected records). */
  decisionReason?: string | null;
  version: number;
}

export interface RecordListResponse {
  records: RecordSummary[];
  /** Exact up to the server's cap (10,000); past it a floor, and `totalExact` is false. */
  total: number;
  totalExact: boolean;
  page: number;
  pageSize: number;
}

export type RecordValues = Record<string, unknown>;

export interface RecordDetail extends RecordSummary {
  /** Field values; ID numbers come masked (`110101********1234`). */
  values: RecordValues;
}

/** `GET/POST/PUT /api/events/:event/records[/:id]`. */
export interface RecordResponse {
  record: RecordDetail;
}

/** `GET /api/events/:event/records/:id/id-number` (audited). */
export interface IdNumberResponse {
  idNumber: string | null;
}

export interface HistoryEntry {
  at: string;
  username: string;
  action: string;
  detail: unknown;
}

/** `GET /api/events/:event/records/:id/history`. */
export interface HistoryResponse {
  entries: HistoryEntry[];
}

export interface FieldIssue {
  code: string;
  message: string;
}

/** `details` of a 422 `validation_failed` error. */
export interface ValidationDetails {
  fields: Record<string, FieldIssue[]>;
}

export interface RecordListQuery {
  kind: RecordKind;
  q?: string;
  status?: string;
  unit?: string;
  page?: number;
  pageSize?: number;
  sort?: string;
  order?: 'asc' | 'desc';
}
