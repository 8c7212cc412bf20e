// WPS 表格 "嵌入单元格图片" (pictures placed in a cell rather than floating over it) — what
// most offices in China use for ID photos. WPS keeps them outside the sheet's drawing: the
// pictures in xl/cellimages.xml, each named `ID_…`, their files in xl/_rels/cellimages.xml.rels,
// and in the cell a formula `=DISPIMG("ID_…",1)`. Excel and exceljs know none of this.

/** The parts WPS writes; present only in workbooks with pictures in cells. */
export const CELL_IMAGES_PART = 'xl/cellimages.xml';
export const CELL_IMAGES_RELS = 'xl/_rels/cellimages.xml.rels';

const attr = (tag: string, name: string): string | undefined =>
  new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag)?.[1];

/**
 * Picture name → path of its file inside the workbook (e.g. `ID_5E7B…` → `xl/media/image1.jpeg`),
 * from cellimages.xml and its relationships.
 */
export function parseCellImages(xml: string, relsXml: string): Map<string, string> {
  const targets = new Map<string, string>();
  for (const rel of relsXml.match(/<Relationship\b[^>]*>/g) ?? []) {
    const id = attr(rel, 'Id');
    const target = attr(rel, 'Target');
    if (!id || !target) continue;
    // Targets are relative to xl/ (the folder of cellimages.xml), or absolute from the root.
    targets.set(id, target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`);
  }
  const pictures = new Map<string, string>();
  for (const pic of xml.match(/<(?:\w+:)?cellImage\b[\s\S]*?<\/(?:\w+:)?cellImage>/g) ?? []) {
    const nv = /<(?:\w+:)?cNvPr\b[^>]*>/.exec(pic)?.[0];
    const blip = /<(?:\w+:)?blip\b[^>]*>/.exec(pic)?.[0];
    const name = nv && attr(nv, 'name');
    const embed = blip && attr(blip, 'r:embed');
    const target = embed ? targets.get(embed) : undefined;
    if (name && target) pictures.set(name, target);
  }
  return pictures;
}

/** The picture a `DISPIMG("ID_…",1)` formula shows, or null for any other formula. */
export function dispimgName(formula: string): string | null {
  return /(?:^|[^A-Za-z_.])(?:_xlfn\.)?DISPIMG\(\s*"([^"]+)"/i.exec(formula)?.[1] ?? null;
}
