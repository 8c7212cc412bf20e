/* eslint-disable */
/**
 * Generated from schemas/plugin-bundle.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type { SchemaLink } from './defs.ts';

/**
 * 插件包 Plugin bundle (single JSON)
 *
 * 与插件文件夹等价的单个 JSON：files 的键是文件夹内的相对路径；JSON 文件直接内嵌，assets/ 下的二进制文件用 base64。Single-JSON equivalent of a plugin folder.
 */
export interface PluginBundleJson {
  $schema?: SchemaLink;
  format: 'tessera-plugin-bundle';
  formatVersion: 1;
  /**
   * 导出时间。Export time.
   */
  exportedAt?: string;
  /**
   * 导出时计算的插件校验和（sha256，十六进制）。Plugin checksum at export time.
   */
  checksum?: string;
  files: {
    /**
     * JSON 文件内容。Parsed JSON file.
     *
     * This interface was referenced by `undefined`'s JSON-Schema definition
     * via the `patternProperty` "^(?!assets/)(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/)*[A-Za-z0-9_][A-Za-z0-9._-]*\.json$".
     */
    [k: string]:
      | {
          [k: string]: unknown | undefined;
        }
      | BundleBinaryFile
      | undefined;
  };
}
/**
 * 二进制文件 Binary file
 *
 * This interface was referenced by `undefined`'s JSON-Schema definition
 * via the `patternProperty` "^assets/(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/)*[A-Za-z0-9_][A-Za-z0-9._-]*\.[A-Za-z0-9]+$".
 *
 * This interface was referenced by `PluginBundleJson`'s JSON-Schema
 * via the `definition` "bundleBinaryFile".
 */
export interface BundleBinaryFile {
  base64: string;
  mediaType: string;
}
