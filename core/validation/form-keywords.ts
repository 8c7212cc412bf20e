import type { AnySchemaObject } from 'ajv';

/**
 * The `x-` annotation keywords a form (a JSON Schema per record kind) may use, with the
 * schema of each keyword's value. createAjv() registers exactly these, so with strict mode a
 * typo such as `x-lable` fails compilation. schemas/form.schema.json describes the same
 * keywords; a unit test keeps the two lists equal.
 */
export const FORM_WIDGETS = [
  'text',
  'textarea',
  'select',
  'radio',
  'checkbox',
  'date',
  'number',
  'idNumber',
  'mobile',
  'plate',
  'photo',
  'cardType',
  'zones',
] as const;
export type FormWidgetName = (typeof FORM_WIDGETS)[number];

/** Keywords allowed on a form property. */
export const FORM_FIELD_KEYWORDS: Readonly<Record<string, AnySchemaObject>> = {
  'x-label': { type: 'string', minLength: 1 },
  'x-widget': { type: 'string', enum: [...FORM_WIDGETS] },
  'x-excelHeaders': { type: 'array', items: { type: 'string', minLength: 1 } },
  'x-sensitive': { type: 'boolean' },
  'x-index': { type: 'boolean' },
  'x-placeholder': { type: 'string' },
  'x-help': { type: 'string' },
  'x-width': { type: 'integer', minimum: 1, maximum: 12 },
  // Conditional visibility; the plugin host checks that `field` names another field of the form.
  'x-visibleIf': {
    oneOf: (['in', 'notIn'] as const).map((list) => ({
      type: 'object',
      required: ['field', list],
      properties: {
        field: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' },
        [list]: { type: 'array', minItems: 1, items: { type: ['string', 'integer', 'number', 'boolean'] } },
      },
      additionalProperties: false,
    })),
  },
};

/** Keywords allowed at the root of a form. */
export const FORM_ROOT_KEYWORDS: Readonly<Record<string, AnySchemaObject>> = {
  'x-recordKind': { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{1,31}$' },
  'x-groups': {
    type: 'array',
    items: {
      type: 'object',
      required: ['label', 'fields'],
      properties: {
        label: { type: 'string', minLength: 1 },
        description: { type: 'string' },
        fields: { type: 'array', items: { type: 'string' } },
      },
      additionalProperties: false,
    },
  },
};
