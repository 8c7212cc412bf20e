import { Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import localizeZhModule from 'ajv-i18n/localize/zh/index.js';
import { CN_ID_NUMBER_KINDS } from './fields.ts';
import { FORM_FIELD_KEYWORDS, FORM_ROOT_KEYWORDS } from './form-keywords.ts';
import { checkIdNumber } from './id-number.ts';
import { checkMobile } from './mobile.ts';
import { checkPlate } from './plate.ts';

export type { ErrorObject } from 'ajv/dist/2020.js';
export type TesseraAjv = Ajv2020;

/**
 * CommonJS interop: the packages' typings say `export default`, but at run time Node hands us
 * `module.exports`, which is the function itself (ajv-formats also sets `.default` on it,
 * ajv-i18n does not). Accept either shape.
 */
function interopDefault<T>(mod: T | { default: T }): T {
  return typeof mod === 'function' ? (mod as T) : (mod as { default: T }).default;
}
const addFormats = interopDefault(addFormatsModule as unknown as typeof addFormatsModule.default);
const localizeZh = interopDefault(localizeZhModule as unknown as typeof localizeZhModule.default);

/**
 * A format accepts only the canonical spelling: forms and the import pipeline normalise values
 * first (normalizeFieldValue in fields.ts, or the check functions' `normalized`), so stored data
 * has one spelling. `cn-id-number` is an 18-character GB 11643 number: a resident ID (a legacy
 * 15-digit one only in its converted 18-digit form) or an HK/Macau/Taiwan residence permit.
 * Other documents (passports, permits, foreign permanent resident cards) depend on the record's
 * `idType` and are checked by normalizeFieldValue / checkIdNumber, not by a format.
 */
const CUSTOM_FORMATS = {
  'cn-id-number': (s: string) => {
    const r = checkIdNumber(s);
    return r.valid && r.normalized === s && CN_ID_NUMBER_KINDS.has(r.kind);
  },
  'cn-mobile': (s: string) => {
    const r = checkMobile(s);
    return r.valid && r.normalized === s;
  },
  'cn-plate': (s: string) => {
    const r = checkPlate(s);
    return r.valid && r.normalized === s;
  },
} as const;
export type CustomFormatName = keyof typeof CUSTOM_FORMATS;
export const CUSTOM_FORMAT_NAMES = Object.keys(CUSTOM_FORMATS) as CustomFormatName[];

/**
 * The project's one ajv configuration (browser-safe: no Node imports). JSON Schema 2020-12,
 * all errors, strict mode, standard formats, Tessera's Chinese formats and the form `x-`
 * annotation keywords. Every call returns a fresh instance (schemas with the same `$id` can
 * then be compiled in different instances).
 */
export function createAjv(extra: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    // Conditional requirements (`allOf: [{ if, then: { required: [...] } }]`) are idiomatic in
    // forms; the host checks top-level `required` against `properties` itself.
    strictRequired: false,
    discriminator: true,
    // `type: ["string", "integer"]` is clearer than the equivalent anyOf in option lists.
    allowUnionTypes: true,
    ...extra,
  });
  addFormats(ajv);
  for (const [name, validate] of Object.entries(CUSTOM_FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate });
  }
  for (const [keyword, metaSchema] of Object.entries({ ...FORM_FIELD_KEYWORDS, ...FORM_ROOT_KEYWORDS })) {
    // No `code`/`validate`: an annotation keyword whose value is checked against `metaSchema` at compile time.
    ajv.addKeyword({ keyword, metaSchema });
  }
  return ajv;
}

/** Replaces each error's `message` by its Chinese text (ajv-i18n `zh`), in place; returns the array. */
export function localizeErrors<E extends ErrorObject>(errors: E[] | null | undefined): E[] {
  if (!errors || errors.length === 0) return [];
  localizeZh(errors);
  return errors;
}
