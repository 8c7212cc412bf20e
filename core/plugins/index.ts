/**
 * The plugin host: reads event plugins (folder or single-JSON bundle), validates them against
 * the contract in schemas/ and their own cross-references, and keeps the loaded ones.
 */
export type { PluginIssue } from './issues.ts';
export { formatIssue } from './issues.ts';
export type { PluginBundle, BundleFromJsonResult } from './bundle.ts';
export {
  bundleToJson,
  bundleFromJson,
  bundleChecksum,
  canonicalJson,
  mediaTypeOf,
  ASSET_MEDIA_TYPES,
} from './bundle.ts';
export type { LoadedPlugin, PluginLoadResult, LayoutBinding } from './validate.ts';
export {
  validatePluginBundle,
  collectLayoutBindings,
  templateFieldNames,
  normalizeHeader,
} from './validate.ts';
export { readPluginFolder } from './read.ts';
export { loadPluginFolder, loadPluginsDirectory, loadPluginBundleJson } from './load.ts';
export { PluginRegistry } from './registry.ts';
export type { SystemField, SystemFieldKey } from './system-fields.ts';
export { SYSTEM_FIELDS, STANDARD_FIELDS, LAYOUT_SIZE_PRESETS, isSystemField } from './system-fields.ts';
export type * from '../types/generated/index.ts';
