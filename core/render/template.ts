/**
 * The Handlebars runtime for card templates: the compiled layout model and a designer's own
 * source (advanced mode) run through the same sandbox. User-authored templates are untrusted:
 * escaping stays on, `{{{ }}}`/`{{& }}`, partials and decorators are refused, no property of an
 * object's prototype can be read, and only the fixed helpers below exist (knownHelpersOnly).
 * The page they end up in has JavaScript disabled and no network (see browser.ts).
 */
import Handlebars from 'handlebars';
import { maskIdNumber } from '../crypto/sensitive.ts';
import { barcodeSvg, CodeContentError, qrSvg, type QrLevel, type Symbology } from './codes.ts';
import { valueEquals, valueIn, valueIsEmpty } from './conditions.ts';
import { TEMPLATE_HELPERS } from './helper-names.ts';

// ---------------------------------------------------------------------------------------------
// What a template is given

export interface ZoneInfo {
  code: string;
  name: string;
  color?: string;
}

/** Per-document services the helpers use. */
export interface TemplateServices {
  /** URL of a plugin asset (`assets/logo.svg`) as the page will load it, or undefined when absent. */
  assetUrl(assetPath: string): string | undefined;
  /** The event's zones, for zone lists and badges. */
  zones: readonly ZoneInfo[];
  /** Option titles per field (`gender` → `M` → `男`), for the `label` helper. */
  optionLabels?: Readonly<Record<string, ReadonlyMap<string, string>>>;
}

/** A photo prepared for one placed size: a data URL, or the reason there is none. */
export type PreparedPhoto =
  | { src: string; warning?: { code: string; message: string } }
  | { src?: undefined; code: 'photo-missing' | 'photo-unreadable'; message: string };

export interface CardProblem {
  code: string;
  message: string;
  /** Element id (layout model) or helper argument it concerns. */
  element?: string;
  severity: 'error' | 'warning';
}

/** Private per-card data, reachable by the helpers (not meant for templates). */
export interface CardRenderData {
  photos: ReadonlyMap<string, PreparedPhoto>;
  problems: CardProblem[];
}

/** Where a photo is placed: the size it is prepared for. */
export interface PhotoSlot {
  /** The context path the photo comes from (`photo`, `driver.photo`), without `this.`. */
  path: string;
  widthMm: number;
  heightMm: number;
  fit: 'cover' | 'contain';
}

export const DEFAULT_PHOTO_SLOT = { widthMm: 30, heightMm: 40, fit: 'cover' } as const;

export function photoKey(value: string, slot: Pick<PhotoSlot, 'widthMm' | 'heightMm' | 'fit'>): string {
  return `${slot.widthMm}x${slot.heightMm}/${slot.fit}/${value}`;
}

/** A mistake in a template's source, with where it is when Handlebars says so. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

export { TEMPLATE_HELPERS } from './helper-names.ts';

/** Path segments no template may name, whatever Handlebars' own runtime checks would do. */
const FORBIDDEN_SEGMENTS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

type HelperOptions = Handlebars.HelperOptions & { data?: { tessera?: CardRenderData } };

const text = (v: unknown): string =>
  v === undefined || v === null
    ? ''
    : Array.isArray(v)
      ? v.map(text).join('、')
      : typeof v === 'object'
        ? ''
        : String(v);

/** Handlebars passes the options object as the last argument; the rest are the call's values. */
function split(args: unknown[]): { values: unknown[]; options: HelperOptions } {
  return { values: args.slice(0, -1), options: args[args.length - 1] as HelperOptions };
}

function problem(options: HelperOptions, p: CardProblem): void {
  options.data?.tessera?.problems.push(p);
}

/** `YYYY-MM-DD` (or a Date) in the given format: YYYY YY MM M DD D, anything else kept. */
export function formatDate(value: unknown, format = 'YYYY-MM-DD'): string {
  let y: number, m: number, d: number;
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    [y, m, d] = [value.getFullYear(), value.getMonth() + 1, value.getDate()];
  } else {
    const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text(value));
    if (!match) return text(value);
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return format.replace(/YYYY|YY|MM|M|DD|D/g, (t) =>
    t === 'YYYY'
      ? String(y)
      : t === 'YY'
        ? pad(y % 100)
        : t === 'MM'
          ? pad(m)
          : t === 'M'
            ? String(m)
            : t === 'DD'
              ? pad(d)
              : String(d),
  );
}

/** ID numbers as `110101********1234`; with counts, keeps that many characters at each end. */
export function maskValue(value: unknown, keepStart?: unknown, keepEnd?: unknown): string {
  const s = text(value);
  if (typeof keepStart !== 'number') return s ? maskIdNumber(s) : '';
  const end = typeof keepEnd === 'number' ? keepEnd : 0;
  if (s.length <= keepStart + end) return '*'.repeat(s.length);
  return s.slice(0, keepStart) + '*'.repeat(s.length - keepStart - end) + (end ? s.slice(-end) : '');
}

const zoneCodes = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\s,，、;；]+/) : [])
    .map((z) => text(z).trim())
    .filter(Boolean);

/** Decodes what Handlebars' escapeExpression encodes, to get back the text a block rendered. */
function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#x27|#x60|#x3D);/g, (_, e: string) =>
    e === 'amp'
      ? '&'
      : e === 'lt'
        ? '<'
        : e === 'gt'
          ? '>'
          : e === 'quot'
            ? '"'
            : e === '#x27'
              ? "'"
              : e === '#x60'
                ? '`'
                : '=',
  );
}

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;

function registerHelpers(hbs: typeof Handlebars, services: TemplateServices): void {
  const esc = hbs.Utils.escapeExpression;
  const safe = (html: string) => new hbs.SafeString(html);
  const placeholder = (cls: string, message: string) =>
    safe(`<div class="tessera-missing ${cls}"><span>${esc(message)}</span></div>`);
  const zoneByCode = new Map(services.zones.map((z) => [z.code, z]));

  hbs.registerHelper('formatDate', (...args: unknown[]) => {
    const { values } = split(args);
    return formatDate(values[0], typeof values[1] === 'string' ? values[1] : undefined);
  });
  hbs.registerHelper('mask', (...args: unknown[]) => {
    const { values } = split(args);
    return maskValue(values[0], values[1], values[2]);
  });
  hbs.registerHelper('label', (...args: unknown[]) => {
    const { values, options } = split(args);
    const field = text(values[0]);
    const root = (options.data as { root?: Record<string, unknown> } | undefined)?.root;
    const raw = root && Object.prototype.hasOwnProperty.call(root, field) ? root[field] : undefined;
    const labels = services.optionLabels?.[field];
    const one = (v: unknown) => labels?.get(text(v)) ?? text(v);
    return Array.isArray(raw) ? raw.map(one).join('、') : one(raw);
  });
  hbs.registerHelper('zoneList', (...args: unknown[]) => {
    const { values, options } = split(args);
    const sep = typeof options.hash?.sep === 'string' ? options.hash.sep : '、';
    const show = options.hash?.show ?? 'name';
    return zoneCodes(values[0])
      .map((c) => {
        const name = zoneByCode.get(c)?.name ?? c;
        return show === 'code' ? c : show === 'both' ? `${c} ${name}` : name;
      })
      .join(sep);
  });
  hbs.registerHelper('zoneBadges', (...args: unknown[]) => {
    const { values } = split(args);
    const badges = zoneCodes(values[0]).map((c) => {
      const color = zoneByCode.get(c)?.color;
      const style = color && /^#[0-9a-fA-F]{3,8}$/.test(color) ? ` style="background:${color}"` : '';
      return `<span class="zone"${style}>${esc(c)}</span>`;
    });
    return safe(`<span class="zones">${badges.join('')}</span>`);
  });
  hbs.registerHelper('qr', function (this: unknown, ...args: unknown[]) {
    const { values, options } = split(args);
    const content = options.fn ? unescapeHtml(options.fn(this)).trim() : text(values[0]);
    const level = ['L', 'M', 'Q', 'H'].includes(String(options.hash?.ecl))
      ? (options.hash.ecl as QrLevel)
      : 'M';
    try {
      return safe(qrSvg(content, level));
    } catch (error) {
      if (!(error instanceof CodeContentError)) throw error;
      problem(options, {
        code: 'qr-invalid',
        message: error.message,
        severity: 'error',
        element: options.hash?.el,
      });
      return placeholder('tessera-code', error.message);
    }
  });
  hbs.registerHelper('barcode', (...args: unknown[]) => {
    const { values, options } = split(args);
    const content = text(values[0]);
    const type =
      (['code128', 'code39', 'ean13', 'pdf417'] as const).find((t) => t === options.hash?.type) ?? 'code128';
    try {
      const bars = barcodeSvg(content, type as Symbology);
      const human = options.hash?.text === true ? `<div class="bc-t">${esc(content)}</div>` : '';
      return safe(bars + human);
    } catch (error) {
      if (!(error instanceof CodeContentError)) throw error;
      problem(options, {
        code: 'barcode-invalid',
        message: `${error.message}（内容：${content || '空'}）`,
        severity: 'error',
        element: options.hash?.el,
      });
      return placeholder('tessera-code', error.message);
    }
  });
  hbs.registerHelper('photo', (...args: unknown[]) => {
    const { values, options } = split(args);
    const slot = {
      widthMm: num(options.hash?.widthMm, DEFAULT_PHOTO_SLOT.widthMm),
      heightMm: num(options.hash?.heightMm, DEFAULT_PHOTO_SLOT.heightMm),
      fit: options.hash?.fit === 'contain' ? ('contain' as const) : ('cover' as const),
    };
    const value = text(values[0]);
    const prepared = value ? options.data?.tessera?.photos.get(photoKey(value, slot)) : undefined;
    const element = options.hash?.el;
    if (prepared?.src !== undefined) {
      if (prepared.warning) problem(options, { ...prepared.warning, severity: 'warning', element });
      return safe(`<img class="ph" alt="" style="object-fit:${slot.fit}" src="${esc(prepared.src)}">`);
    }
    const missing = !value || !prepared || prepared.code === 'photo-missing';
    const message = !value ? '缺少照片' : (prepared?.message ?? '照片未准备');
    problem(options, {
      code: missing ? 'photo-missing' : 'photo-unreadable',
      message,
      severity: 'error',
      element,
    });
    return placeholder('tessera-photo', missing ? '缺少照片' : '照片无法读取');
  });
  hbs.registerHelper('asset', (...args: unknown[]) => {
    const { values } = split(args);
    return services.assetUrl(text(values[0])) ?? '';
  });
  hbs.registerHelper('eq', (...args: unknown[]) => valueEquals(args[0], args[1]));
  hbs.registerHelper('ne', (...args: unknown[]) => !valueEquals(args[0], args[1]));
  hbs.registerHelper('in', (...args: unknown[]) => valueIn(args[0], split(args).values.slice(1)));
  hbs.registerHelper('notIn', (...args: unknown[]) => !valueIn(args[0], split(args).values.slice(1)));
  hbs.registerHelper('empty', (...args: unknown[]) => valueIsEmpty(args[0]));
  hbs.registerHelper('notEmpty', (...args: unknown[]) => !valueIsEmpty(args[0]));
  hbs.registerHelper('and', (...args: unknown[]) => split(args).values.every(truthy));
  hbs.registerHelper('or', (...args: unknown[]) => split(args).values.some(truthy));
  hbs.registerHelper('not', (...args: unknown[]) => !truthy(args[0]));
}

const truthy = (v: unknown): boolean => !valueIsEmpty(v) && v !== false && v !== 0;

// ---------------------------------------------------------------------------------------------
// Checking and compiling

type Node = hbs.AST.Node;

function lineOf(node: Node): number | undefined {
  return node.loc?.start.line;
}

/** Refuses what the sandbox does not allow, before Handlebars compiles anything. */
function checkAst(program: hbs.AST.Program): void {
  const visit = (node: Node | undefined | null): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach(visit);
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (!m.escaped) {
          throw new TemplateError('不允许 {{{ }}} 或 {{& }}（不转义输出），请用 {{字段名}}', lineOf(node));
        }
        visit(m.path);
        m.params.forEach(visit);
        visit(m.hash);
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        visit(b.path);
        b.params.forEach(visit);
        visit(b.hash);
        visit(b.program);
        visit(b.inverse);
        return;
      }
      case 'SubExpression': {
        const s = node as hbs.AST.SubExpression;
        visit(s.path);
        s.params.forEach(visit);
        visit(s.hash);
        return;
      }
      case 'Hash':
        (node as hbs.AST.Hash).pairs.forEach((p) => visit(p.value));
        return;
      case 'PathExpression': {
        const p = node as hbs.AST.PathExpression;
        const bad = p.parts.find((part) => FORBIDDEN_SEGMENTS.has(part));
        if (bad) throw new TemplateError(`不允许访问 ${bad}`, lineOf(node));
        return;
      }
      case 'StringLiteral': {
        // `lookup this "constructor"` names a property through a string.
        const v = (node as hbs.AST.StringLiteral).value;
        if (FORBIDDEN_SEGMENTS.has(v)) throw new TemplateError(`不允许访问 ${v}`, lineOf(node));
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new TemplateError('不允许使用 partial（{{> …}}）', lineOf(node));
      case 'Decorator':
      case 'DecoratorBlock':
        throw new TemplateError('不允许使用 decorator（{{* …}}）', lineOf(node));
      default:
        return; // content, comments, literals
    }
  };
  visit(program);
}

/** The photo slots a template uses: `{{photo field widthMm=… heightMm=… fit=…}}` calls. */
function findPhotoSlots(program: hbs.AST.Program): PhotoSlot[] {
  const slots: PhotoSlot[] = [];
  const literal = (hash: hbs.AST.Hash | undefined, key: string): unknown => {
    const pair = hash?.pairs.find((p) => p.key === key);
    const v = pair?.value as { type: string; value?: unknown } | undefined;
    return v && (v.type === 'NumberLiteral' || v.type === 'StringLiteral') ? v.value : undefined;
  };
  const visit = (node: Node | undefined | null): void => {
    if (!node) return;
    if (node.type === 'Program') (node as hbs.AST.Program).body.forEach(visit);
    if (node.type === 'BlockStatement') {
      const b = node as hbs.AST.BlockStatement;
      visit(b.program);
      visit(b.inverse);
    }
    if (node.type === 'MustacheStatement') {
      const m = node as hbs.AST.MustacheStatement;
      const head = m.path as hbs.AST.PathExpression;
      const arg = m.params[0] as hbs.AST.PathExpression | undefined;
      if (head.type === 'PathExpression' && head.original === 'photo' && arg?.type === 'PathExpression') {
        slots.push({
          path: arg.parts.join('.'),
          widthMm: num(literal(m.hash, 'widthMm'), DEFAULT_PHOTO_SLOT.widthMm),
          heightMm: num(literal(m.hash, 'heightMm'), DEFAULT_PHOTO_SLOT.heightMm),
          fit: literal(m.hash, 'fit') === 'contain' ? 'contain' : 'cover',
        });
      }
    }
  };
  visit(program);
  return slots;
}

export type CardTemplate = (context: Record<string, unknown>, data: CardRenderData) => string;

export interface TemplateEnv {
  /** Checks and compiles one template; throws TemplateError with the reason and line. */
  compile(source: string): { render: CardTemplate; photoSlots: PhotoSlot[] };
}

const KNOWN_HELPERS: Record<string, boolean> = {
  ...Object.fromEntries(TEMPLATE_HELPERS.map((h) => [h, true])),
  // Writes to the server console: nothing a card needs.
  log: false,
};

/** A sandboxed Handlebars environment with the fixed helpers, bound to one document's services. */
export function createTemplateEnv(services: TemplateServices): TemplateEnv {
  const hbs = Handlebars.create();
  hbs.unregisterHelper('log');
  registerHelpers(hbs, services);
  const compileOptions: CompileOptions = {
    knownHelpers: KNOWN_HELPERS,
    knownHelpersOnly: true,
    noEscape: false,
    strict: false,
    preventIndent: true,
  };
  return {
    compile(source) {
      let ast: hbs.AST.Program;
      try {
        ast = hbs.parse(source);
      } catch (error) {
        const message = (error as Error).message;
        const line = /line (\d+)/.exec(message)?.[1];
        throw new TemplateError(`模板语法错误：${message.split('\n')[0]}`, line ? Number(line) : undefined);
      }
      checkAst(ast);
      try {
        // Compiles eagerly, so an unknown helper is reported now rather than at the first card.
        hbs.precompile(ast, compileOptions);
      } catch (error) {
        throw new TemplateError(`模板无法编译：${(error as Error).message.split('\n')[0]}`);
      }
      const template = hbs.compile(ast, compileOptions);
      return {
        photoSlots: findPhotoSlots(ast),
        render: (context, data) =>
          template(context, {
            data: { tessera: data },
            allowProtoPropertiesByDefault: false,
            allowProtoMethodsByDefault: false,
          }),
      };
    },
  };
}

let checker: TemplateEnv | undefined;

/**
 * Whether a template source would compile in the sandbox: the plugin host checks advanced
 * templates with this, so a layout that cannot print is refused when the plugin loads.
 */
export function checkTemplateSource(source: string): TemplateError | undefined {
  checker ??= createTemplateEnv({ assetUrl: () => undefined, zones: [] });
  try {
    checker.compile(source);
    return undefined;
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
}
