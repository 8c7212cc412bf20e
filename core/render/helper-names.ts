// No imports: the layout compiler (and the designer through it) needs the names, not Handlebars.

/** The helpers a template may call; `if`, `unless`, `each`, `with` and `lookup` come with Handlebars. */
export const TEMPLATE_HELPERS = [
  'formatDate',
  'mask',
  'label',
  'zoneList',
  'zoneBadges',
  'qr',
  'barcode',
  'photo',
  'asset',
  'eq',
  'ne',
  'in',
  'notIn',
  'empty',
  'notEmpty',
  'and',
  'or',
  'not',
] as const;
