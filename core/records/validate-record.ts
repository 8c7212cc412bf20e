import type { ErrorObject } from 'ajv/dist/2020.js';
import {
  checkRecordFields,
  requiredMessage,
  type FieldIssue,
  type RecordCheckContext,
} from '../forms/index.ts';
import type { FormSchema } from '../types/generated/index.ts';
import { createAjv, localizeErrors } from '../validation/index.ts';

export type { FieldIssue } from '../forms/index.ts';

export interface RecordValidation {
  ok: boolean;
  /** Normalised values (blanks trimmed, ID numbers and plates in canonical spelling); empty and hidden fields dropped. */
  values: Record<string, unknown>;
  fields: Record<string, FieldIssue[]>;
  /** Problems that do not block saving: a missing required photo (see checkRecordFields). */
  warnings: Record<string, FieldIssue[]>;
}

export type RecordContext = Omit<RecordCheckContext, 'maskedOriginal'>;

const ajv = createAjv();
const compiled = new WeakMap<FormSchema, ReturnType<typeof ajv.compile>>();

function validatorFor(form: FormSchema) {
  let validate = compiled.get(form);
  if (!validate) {
    validate = ajv.compile(form);
    compiled.set(form, validate);
  }
  return validate;
}

/**
 * Server-side validation of one record against its event form: checkRecordFields (core/forms,
 * the same code the browser runs), then the form's own JSON Schema with ajv as a backstop for
 * what the shared rules do not cover — `allOf` if/then rules above all. The backstop sees the
 * normalised values without hidden fields, ignores hidden fields and the photo's `required`, and
 * adds nothing to a field that already has a message.
 */
export function validateRecordValues(
  form: FormSchema,
  input: Record<string, unknown>,
  context: RecordContext,
): RecordValidation {
  const { values, fields, warnings, hidden } = checkRecordFields(form, input, context);
  const properties = form.properties;
  const skip = new Set(hidden);
  const validate = validatorFor(form);
  if (!validate(values)) {
    for (const error of localizeErrors(validate.errors as ErrorObject[])) {
      const key =
        error.keyword === 'required'
          ? String((error.params as { missingProperty?: string }).missingProperty)
          : error.instancePath.split('/')[1];
      if (!key || skip.has(key) || fields[key]?.length || warnings[key]?.length) continue;
      const field = properties[key];
      const label = field?.['x-label'] ?? key;
      // Photos arrive through their own upload after the record exists; a missing photo
      // blocks submission for review, not saving the record.
      if (error.keyword === 'required' && field?.['x-widget'] === 'photo') {
        warnings[key] = [{ code: 'photo-required', message: requiredMessage(field, label) }];
        continue;
      }
      fields[key] = [
        error.keyword === 'required'
          ? { code: 'required', message: requiredMessage(field, label) }
          : { code: `schema-${error.keyword}`, message: `${label}${error.message ?? '不符合要求'}` },
      ];
    }
  }
  return { ok: Object.keys(fields).length === 0, values, fields, warnings };
}
