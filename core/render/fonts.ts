/**
 * Fonts for cards come from npm font packages, never from the system: Debian's fonts-noto-cjk
 * (CFF outlines) reach Chromium's PDF as Type 3 fonts that print shops refuse, while the
 * TrueType-outline woff2 files of @fontsource embed as subset CID TrueType fonts. The page loads
 * them from the renderer's private origin (browser.ts); unicode-range subsets mean only the
 * files that hold the characters actually printed are read.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { CARD_FONTS } from './font-families.ts';

export { CARD_FONTS, DEFAULT_FONT_FAMILY, knownFamily } from './font-families.ts';

/** Path under which the page requests font files (relative to the renderer's origin). */
export const FONT_URL_PREFIX = '/fonts/';

const require = createRequire(import.meta.url);
const packageDirs = new Map<string, string>();

function packageDir(pkg: string): string {
  let dir = packageDirs.get(pkg);
  if (!dir) {
    // The package's `exports` map only exposes its CSS files: resolve the index and take its folder.
    dir = path.dirname(require.resolve(pkg));
    packageDirs.set(pkg, dir);
  }
  return dir;
}

const faceCssCache = new Map<string, string>();

/**
 * `@font-face` rules for the given weights of every card font, pointing at `origin + /fonts/…`.
 * Only woff2 sources are kept: Chromium reads woff2, and the woff fallbacks would be dead weight.
 */
export async function fontFaceCss(origin: string, weights: Iterable<number>): Promise<string> {
  const parts: string[] = [];
  for (const font of CARD_FONTS) {
    for (const weight of [...new Set(weights)].sort()) {
      const nearest = font.weights.reduce((a, b) => (Math.abs(b - weight) < Math.abs(a - weight) ? b : a));
      const key = `${font.pkg}@${nearest}@${origin}`;
      let css = faceCssCache.get(key);
      if (css === undefined) {
        const dir = packageDir(font.pkg);
        const source = await readFile(path.join(dir, `${nearest}.css`), 'utf8');
        css = source
          .replace(/, url\([^)]*\.woff\) format\('woff'\)/g, '')
          .replace(/url\(\.\/files\//g, `url(${origin}${FONT_URL_PREFIX}${encodeURIComponent(font.pkg)}/`)
          .replace(/font-weight: \d+;/g, `font-weight: ${weight};`)
          .replace(/font-display: swap;/g, 'font-display: block;');
        faceCssCache.set(key, css);
      }
      parts.push(css);
    }
  }
  return parts.join('\n');
}

const fileCache = new Map<string, Promise<Buffer>>();

/**
 * The bytes of a font file named by a `/fonts/<package>/<file>` request path, or undefined for
 * anything that is not exactly one of the known packages' woff2 files.
 */
export function readFontFile(requestPath: string): Promise<Buffer> | undefined {
  const rest = requestPath.slice(FONT_URL_PREFIX.length);
  const slash = rest.indexOf('/');
  if (!requestPath.startsWith(FONT_URL_PREFIX) || slash < 0) return undefined;
  const pkg = decodeURIComponent(rest.slice(0, slash));
  const file = rest.slice(slash + 1);
  const font = CARD_FONTS.find((f) => f.pkg === pkg);
  if (!font || !/^[a-z0-9-]+\.woff2$/.test(file)) return undefined;
  const full = path.join(packageDir(pkg), 'files', file);
  let bytes = fileCache.get(full);
  if (!bytes) {
    bytes = readFile(full);
    // A failed read is not cached: the next request tries again.
    bytes.catch(() => fileCache.delete(full));
    fileCache.set(full, bytes);
  }
  return bytes;
}
