// Temporary hand-written mirror of the server's JSON responses (see the API contract in the
// designer brief). Replace with types shared from core/ once the server exports them.

export type Role = 'admin' | 'unit' | 'clerk' | 'reviewer' | 'designer' | 'operator';

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
