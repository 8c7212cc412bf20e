// Browser-safe: the designer shows these next to what they are about.
/**
 * One problem found in a plugin. `file` is the path inside the plugin, `pointer` a JSON pointer
 * into that file ('' = the whole file), `code` a stable machine-readable reason, `message`
 * Chinese text for the person fixing the plugin. `line`/`column` are added when the plugin was
 * read from a folder and the source position is known.
 */
export interface PluginIssue {
  plugin: string;
  file: string;
  pointer: string;
  code: string;
  message: string;
  severity: 'error' | 'warning';
  line?: number;
  column?: number;
}
