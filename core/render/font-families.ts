/**
 * The font families a card may name, each from an npm font package (fonts.ts serves the files).
 * No Node imports here: the designer shows the same list.
 */
export interface FontPackage {
  family: string;
  /** npm package holding `<weight>.css` files and `files/*.woff2`. */
  pkg: string;
  weights: readonly number[];
}

/** Families a layout may name; everything else falls back to the first. */
export const CARD_FONTS: readonly FontPackage[] = [
  {
    family: 'Noto Sans SC',
    pkg: '@fontsource/noto-sans-sc',
    weights: [100, 200, 300, 400, 500, 600, 700, 800, 900],
  },
];

export const DEFAULT_FONT_FAMILY = CARD_FONTS[0]!.family;

/** The family a style names, if the renderer has it; otherwise the default. */
export function knownFamily(name: string | undefined): string {
  if (!name) return DEFAULT_FONT_FAMILY;
  const wanted = name
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  return CARD_FONTS.find((f) => f.family.toLowerCase() === wanted)?.family ?? DEFAULT_FONT_FAMILY;
}
