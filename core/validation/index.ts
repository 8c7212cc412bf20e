/**
 * Tessera's data rules, shared by the server and the browser (no Node-only APIs here).
 *
 * How a field value is validated, everywhere:
 * 1. normalizeFieldValue(field, raw, { idType }) — folds full-width characters and blanks, reads
 *    Excel dates, converts legacy 15-digit ID numbers, and checks the value against the rule its
 *    `x-widget` or `format` selects (ID number, mobile, plate, date); the ID number rule also
 *    checks the number against the record's `idType`.
 * 2. crossCheckPerson({ idNumber, birthDate, gender }) — the birth date and gender fields must
 *    agree with the ID number.
 * 3. createAjv() — the form's JSON Schema on the normalised values; its formats (`cn-id-number`,
 *    `cn-mobile`, `cn-plate`, `date`) accept canonical spellings only.
 */
export { createAjv, localizeErrors, CUSTOM_FORMAT_NAMES } from './ajv.ts';
export type { CustomFormatName, TesseraAjv, ErrorObject } from './ajv.ts';
export type { FormatCheckResult, FormatIssue } from './format-result.ts';
export { toHalfWidth, stripBlanks, trimBlanks, isoDate } from './format-result.ts';
export { PROVINCES, provinceName } from './regions.ts';
export {
  checkIdNumber,
  describeIdCheck,
  foreignPermanent2017CheckDigit,
  idNumberCheckChar,
  idTypeKinds,
  normalizeIdNumber,
  ID_KINDS,
  ID_KIND_LABELS,
} from './id-number.ts';
export type { IdKind, IdNumberCheckOptions, IdNumberCheckResult } from './id-number.ts';
export { crossCheckPerson, normalizeGender } from './cross-check.ts';
export type { CrossCheckIssue, PersonCrossCheckInput, PersonCrossCheckResult } from './cross-check.ts';
export { parseOfficeDate, excelSerialToIso } from './dates.ts';
export type { OfficeDateResult } from './dates.ts';
export { checkMobile, normalizeMobile } from './mobile.ts';
export { checkPlate, normalizePlate, PLATE_KIND_LABELS, PLATE_PROVINCES } from './plate.ts';
export type { PlateCheckResult, PlateKind } from './plate.ts';
export { fieldRule, normalizeFieldValue, CN_ID_NUMBER_KINDS } from './fields.ts';
export type { FieldNormalization, FieldNormalizationContext, FieldRule, FieldRuleSchema } from './fields.ts';
export { FORM_WIDGETS, FORM_FIELD_KEYWORDS, FORM_ROOT_KEYWORDS } from './form-keywords.ts';
export type { FormWidgetName } from './form-keywords.ts';
