/**
 * Generated forms, browser-safe (imported by the designer through `@core/forms/…`): conditional
 * visibility and the record rules shared by the browser and the server. No ajv compilation here
 * (the page's CSP forbids eval); the server adds its ajv backstop in core/records/validate-record.ts.
 */
export {
  checkRecordFields,
  isEmptyValue,
  requiredMessage,
  type FieldIssue,
  type RecordCheck,
  type RecordCheckContext,
} from './check-record.ts';
export {
  fieldLabel,
  type FormFieldLike,
  type FormGroupLike,
  type FormOptionLike,
  type FormSchemaLike,
  type VisibleIfLike,
} from './form-like.ts';
export { isMaskedIdNumber } from './masked.ts';
export { hiddenFieldKeys, isFieldVisible, visibleFieldKeys } from './visibility.ts';
