// Client-side validation of the generated record form: core's checkRecordFields, the same code the
// server runs before its ajv backstop (only the form's `allOf` if/then rules are left to the server).
// Keep every caller going through this module.
import { checkRecordFields, type RecordCheck } from '@core/forms/check-record.ts';
import type { FormSchemaLike } from '@core/forms/form-like.ts';
import type { FieldIssue, RecordValues } from './types';

export type FieldErrors = Record<string, FieldIssue[]>;

export interface ClientCheckContext {
  /** Default: the form's `x-recordKind`. */
  kind?: string;
  cardTypes: readonly { code: string; recordKind?: string }[];
  zones: readonly { code: string }[];
  /** Masked ID numbers as loaded, by field: unchanged, the server keeps the stored number. */
  maskedOriginal?: Readonly<Record<string, unknown>>;
}

/**
 * The shared check on the form's own fields (keys the form does not have — left over from another
 * form version, or from a field just removed in the editor — are not sent, so not checked).
 */
export function checkRecord(
  schema: FormSchemaLike,
  values: RecordValues,
  context: ClientCheckContext,
): RecordCheck {
  const own: RecordValues = {};
  for (const key of Object.keys(schema.properties)) {
    if (values[key] !== undefined) own[key] = values[key];
  }
  return checkRecordFields(schema, own, {
    kind: context.kind ?? schema['x-recordKind'] ?? '',
    cardTypes: context.cardTypes,
    zones: context.zones.map((z) => z.code),
    maskedOriginal: context.maskedOriginal,
  });
}

/** Errors by field key, in field order; empty when the values may be sent. */
export function validateRecord(
  schema: FormSchemaLike,
  values: RecordValues,
  context: ClientCheckContext,
): FieldErrors {
  return checkRecord(schema, values, context).fields;
}
