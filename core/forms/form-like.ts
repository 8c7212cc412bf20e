/**
 * The parts of a form (a JSON Schema per record kind, schemas/form.schema.json) that the
 * browser-safe form code in core/forms reads. Structural, so that the engine's generated
 * `FormSchema` and the designer's looser mirror of the HTTP response both fit.
 */

/** `x-visibleIf`: show a field only when another field's value is (not) in a list. */
export interface VisibleIfLike {
  field: string;
  in?: readonly unknown[];
  notIn?: readonly unknown[];
}

export interface FormOptionLike {
  const: unknown;
  title?: string;
}

export interface FormFieldLike {
  type?: string | readonly string[];
  title?: string;
  description?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  enum?: readonly unknown[];
  oneOf?: readonly FormOptionLike[];
  items?: FormFieldLike;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  default?: unknown;
  'x-label'?: string;
  'x-widget'?: string;
  'x-placeholder'?: string;
  'x-help'?: string;
  'x-width'?: number;
  'x-sensitive'?: boolean;
  'x-visibleIf'?: VisibleIfLike;
}

export interface FormGroupLike {
  label: string;
  description?: string;
  fields: readonly string[];
}

export interface FormSchemaLike {
  properties: Readonly<Record<string, FormFieldLike | undefined>>;
  required?: readonly string[];
  'x-label'?: string;
  'x-recordKind'?: string;
  'x-groups'?: readonly FormGroupLike[];
}

/** The field's Chinese label (`x-label`, else `title`, else the key). */
export function fieldLabel(form: FormSchemaLike, key: string): string {
  const field = form.properties[key];
  return field?.['x-label'] || field?.title || key;
}
