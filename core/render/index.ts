/**
 * Card rendering: the layout compiler (layout model → Handlebars + CSS), the sandboxed template
 * runtime, the Chromium renderer with its tab pool, imposition, and render jobs.
 */
export { compileLayout, type CompiledLayout, type CompiledFace, type FaceName } from './compile.ts';
export {
  createTemplateEnv,
  TEMPLATE_HELPERS,
  TemplateError,
  formatDate,
  maskValue,
  type TemplateServices,
  type CardRenderData,
  type CardProblem,
  type PreparedPhoto,
  type PhotoSlot,
} from './template.ts';
export { testCondition } from './conditions.ts';
export { qrSvg, barcodeSvg, CodeContentError } from './codes.ts';
export { cardContext, formatCardNumber, optionLabels, eventZones, type CardRecord } from './context.ts';
export { buildDocument, documentHtml, baseCss, type FaceHtml, type CardDocument } from './document.ts';
export { FIT_SCRIPT, type FitProblem } from './fit.ts';
export { CARD_FONTS, DEFAULT_FONT_FAMILY, fontFaceCss } from './fonts.ts';
export { preparePhoto, preparePhotos, PRINT_PPI, type PhotoLoader } from './photos.ts';
export { RenderBrowser, RENDER_ORIGIN, findChrome, type RenderBrowserOptions } from './browser.ts';
export {
  finishCards,
  imposeSheets,
  planSheet,
  CardsFinisher,
  SheetImposer,
  SHEETS,
  type SheetName,
  type SheetPlan,
} from './impose.ts';
export {
  renderCards,
  CardBatch,
  type RenderJobOptions,
  type RenderOutput,
  type RenderReport,
  type RenderProblem,
  type RenderResult,
} from './job.ts';
export {
  renderForEvent,
  findEventPlugin,
  fileOrDataUrlLoader,
  pluginAssets,
  type EventRenderOptions,
} from './event.ts';
