/**
 * Generated from schemas/*.schema.json by core/plugins/gen-types.ts, do not edit.
 */
export type * from './defs.ts';
export type * from './manifest.ts';
export type * from './form.ts';
export type * from './card-types.ts';
export type * from './mapping.ts';
export type * from './layout.ts';
export type * from './plugin-bundle.ts';
export type * from './legacy-migration.ts';
