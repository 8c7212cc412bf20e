// The layout compiler and the template sandbox, without a browser: what the compiled Handlebars
// prints for a record, escaping, no prototype access, the fixed helpers, conditions and style rules.
import { describe, expect, it } from 'vitest';
import {
  barcodeSvg,
  compileLayout,
  createTemplateEnv,
  formatCardNumber,
  formatDate,
  maskValue,
  qrSvg,
  TemplateError,
  testCondition,
  type CardRenderData,
  type PreparedPhoto,
} from '../../core/render/index.ts';
import type { CardLayout, LayoutElement } from '../../core/types/generated/index.ts';

const services = {
  assetUrl: (p: string) => (p === 'assets/logo.svg' ? `https://tessera.invalid/a/x/${p}` : undefined),
  zones: [
    { code: 'A', name: '展馆区', color: '#c0392b' },
    { code: 'B', name: '主会场', color: '#8e44ad' },
  ],
  optionLabels: {
    gender: new Map([
      ['M', '男'],
      ['F', '女'],
    ]),
  },
};

function data(photos: Record<string, PreparedPhoto> = {}): CardRenderData {
  return { photos: new Map(Object.entries(photos)), problems: [] };
}

function render(source: string, ctx: Record<string, unknown>, d = data()): string {
  return createTemplateEnv(services).compile(source).render(ctx, d);
}

function layoutWith(elements: LayoutElement[], extra: Partial<CardLayout> = {}): CardLayout {
  return {
    code: 'test',
    name: '测试',
    recordKind: 'person',
    size: { preset: 'CR80', widthMm: 85.6, heightMm: 54 },
    front: { elements },
    ...extra,
  };
}

function front(layout: CardLayout, ctx: Record<string, unknown>, d = data()): string {
  const compiled = compileLayout(layout);
  return render(compiled.front.template, ctx, d);
}

describe('template sandbox', () => {
  it('escapes field values', () => {
    const out = render('<div title="{{name}}">{{name}}</div>', { name: '<img src=x onerror=alert(1)>"&' });
    expect(out).toBe(
      '<div title="&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&quot;&amp;">&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&quot;&amp;</div>',
    );
  });

  it('refuses unescaped output, partials and decorators', () => {
    const env = createTemplateEnv(services);
    expect(() => env.compile('{{{name}}}')).toThrow(TemplateError);
    expect(() => env.compile('{{& name}}')).toThrow(/不转义/);
    expect(() => env.compile('{{> header}}')).toThrow(/partial/);
    expect(() => env.compile('{{#> layout}}x{{/layout}}')).toThrow(/partial/);
    expect(() => env.compile('{{* inline}}')).toThrow(/decorator/);
  });

  it('allows only the fixed helpers', () => {
    const env = createTemplateEnv(services);
    expect(() => env.compile('{{log name}}')).toThrow(TemplateError);
    expect(() => env.compile('{{evil name}}')).toThrow(/evil/);
    expect(() =>
      env.compile('{{#each list}}{{this}}{{/each}}{{lookup a "b"}}{{#with a}}{{b}}{{/with}}'),
    ).not.toThrow();
  });

  it('reads no prototype properties, by name or through lookup', () => {
    const env = createTemplateEnv(services);
    for (const source of [
      '{{constructor}}',
      '{{name.__proto__}}',
      '{{lookup this "constructor"}}',
      '{{#with prototype}}x{{/with}}',
    ]) {
      expect(() => env.compile(source), source).toThrow(/不允许访问/);
    }
    // Handlebars' own runtime check holds too, for names the source does not spell out.
    const key = 'const' + 'ructor';
    expect(render('{{lookup this key}}|{{lookup name key}}', { key, name: 'x' })).toBe('|');
  });

  it('reports syntax errors with their line', () => {
    try {
      createTemplateEnv(services).compile('<div>\n{{#if a}}\n</div>');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).message).toMatch(/语法错误/);
    }
  });
});

describe('helpers', () => {
  it('formats dates', () => {
    expect(formatDate('2026-10-05', 'YYYY年M月D日')).toBe('2026年10月5日');
    expect(formatDate('2026-10-05', 'YY.MM.DD')).toBe('26.10.05');
    expect(render('{{formatDate d "YYYY/MM/DD"}}', { d: '1990-03-07' })).toBe('1990/03/07');
    expect(render('{{formatDate d}}', { d: 'not a date' })).toBe('not a date');
  });

  it('masks ID numbers and other values', () => {
    expect(maskValue('11010119900307661X')).toBe('110101********661X');
    expect(render('{{mask id}}', { id: '11010119900307661X' })).toBe('110101********661X');
    expect(render('{{mask mobile 3 4}}', { mobile: '13800001234' })).toBe('138****1234');
  });

  it('lists zones by name or code, and as coloured badges', () => {
    expect(render('{{zoneList zones}}', { zones: ['A', 'B'] })).toBe('展馆区、主会场');
    expect(render('{{zoneList zones show="code" sep=" "}}', { zones: 'A,B' })).toBe('A B');
    expect(render('{{zoneList zones show="both" sep="；"}}', { zones: ['A', 'Z'] })).toBe('A 展馆区；Z Z');
    expect(render('{{zoneBadges zones}}', { zones: ['A', '<b>'] })).toBe(
      '<span class="zones"><span class="zone" style="background:#c0392b">A</span><span class="zone">&lt;b&gt;</span></span>',
    );
  });

  it('prints option titles with label', () => {
    expect(render('{{label "gender"}}', { gender: 'F' })).toBe('女');
    expect(render('{{label "gender"}}', { gender: 'X' })).toBe('X');
  });

  it('draws QR codes and barcodes as inline SVG, and marks what cannot be encoded', () => {
    expect(qrSvg('VIP-00001')).toMatch(
      /^<svg [^>]*viewBox="0 0 23 23"[\s\S]*<path fill="#000" d="M1 1h7v1h-7z/,
    );
    expect(barcodeSvg('VIP-00001', 'code128')).toMatch(/^<svg preserveAspectRatio="none" /);
    const d = data();
    const out = render(
      '{{qr token ecl="H"}}|{{barcode number type="ean13" text=true}}',
      { token: 'abc', number: '张三' },
      d,
    );
    expect(out).toMatch(
      /^<svg[\s\S]*<\/svg>\|<div class="tessera-missing tessera-code"><span>EAN-13 需要 12 或 13 位数字<\/span><\/div>$/,
    );
    expect(d.problems).toEqual([expect.objectContaining({ code: 'barcode-invalid', severity: 'error' })]);
    expect(render('{{barcode n text=true}}', { n: 'A<1>' })).toContain('<div class="bc-t">A&lt;1&gt;</div>');
  });

  it('builds a QR code from interpolated text, unescaped', () => {
    const viaBlock = render('{{#qr}}https://v.example.cn/?n={{n}}&t=1{{/qr}}', { n: 'A&B' });
    expect(viaBlock).toBe(qrSvg('https://v.example.cn/?n=A&B&t=1'));
  });

  it('puts a prepared photo in, or a placeholder and a problem', () => {
    const key = '22x29.3/cover/p.jpg';
    const ok = render(
      '{{photo photo widthMm=22 heightMm=29.3}}',
      { photo: 'p.jpg' },
      data({ [key]: { src: 'data:image/jpeg;base64,AAAA' } }),
    );
    expect(ok).toBe('<img class="ph" alt="" style="object-fit:cover" src="data:image/jpeg;base64,AAAA">');
    const d = data();
    expect(render('{{photo photo widthMm=22 heightMm=29.3 el="ph"}}', {}, d)).toContain('缺少照片');
    expect(d.problems).toEqual([
      { code: 'photo-missing', message: '缺少照片', severity: 'error', element: 'ph' },
    ]);
  });

  it('resolves plugin assets and nothing else', () => {
    expect(render('{{asset "assets/logo.svg"}}|{{asset "assets/none.png"}}', {})).toBe(
      'https://tessera.invalid/a/x/assets/logo.svg|',
    );
  });

  it('numbers cards by the card type pattern', () => {
    expect(
      formatCardNumber('{event}-ST-{seq:5}', {
        event: 'EXPO2026',
        type: 'STAFF',
        year: '2026',
        unit: '',
        seq: 42,
      }),
    ).toBe('EXPO2026-ST-00042');
    expect(
      formatCardNumber('{type}{year}{seq}', { event: 'E', type: 'VIP', year: '2026', unit: '', seq: 7 }),
    ).toBe('VIP20267');
  });
});

describe('conditions', () => {
  it('compares values, lists and emptiness', () => {
    expect(testCondition({ field: 'cardType', op: 'eq', value: 'VIP' }, 'VIP')).toBe(true);
    expect(testCondition({ field: 'age', op: 'eq', value: 30 }, '30')).toBe(true);
    expect(testCondition({ field: 'zones', op: 'in', value: ['D', 'P'] }, ['A', 'D'])).toBe(true);
    expect(testCondition({ field: 'zones', op: 'notIn', value: ['D', 'P'] }, ['A', 'B'])).toBe(true);
    expect(testCondition({ field: 'zones', op: 'eq', value: 'B' }, ['A', 'B'])).toBe(true);
    expect(testCondition({ field: 'position', op: 'empty' }, '')).toBe(true);
    expect(testCondition({ field: 'zones', op: 'notEmpty' }, [])).toBe(false);
  });
});

describe('layout compiler', () => {
  const name: LayoutElement = {
    id: 'name',
    type: 'field',
    field: 'name',
    xMm: 3,
    yMm: 40,
    widthMm: 48,
    heightMm: 7,
    style: { fontSizePt: 15, fontWeight: 'bold', align: 'center', vAlign: 'middle' },
  };

  it('places elements in mm, in z order, with their styles in one stylesheet', () => {
    const layout = layoutWith([
      { ...name, z: 5 },
      {
        id: 'bg',
        type: 'rect',
        xMm: -2,
        yMm: -2,
        widthMm: 89.6,
        heightMm: 10,
        z: 1,
        style: { background: '#1f618d', radiusMm: 1 },
      },
      { id: 'tilt', type: 'text', text: '样', xMm: 60, yMm: 5, widthMm: 10, heightMm: 10, rotation: 15 },
    ]);
    const compiled = compileLayout(layout);
    const html = render(compiled.front.template, { name: '张伟' });
    expect(html.indexOf('el-bg')).toBeLessThan(html.indexOf('el-name'));
    expect(html).toContain('<div class="t">张伟</div>');
    expect(compiled.css).toContain(
      '.tc .el-name { margin: 40mm 0 0 3mm; width: 48mm; height: 7mm; font-size: 15pt; font-weight: 700; text-align: center; justify-content: center;',
    );
    expect(compiled.css).toContain(
      '.tc .el-bg { margin: -2mm 0 0 -2mm; width: 89.6mm; height: 10mm; background-color: #1f618d; border-radius: 1mm;',
    );
    expect(compiled.css).toContain('transform: rotate(15deg)');
    expect(compiled.front.extent.left).toBeCloseTo(2);
  });

  it('fits text by default: shrink, with the lines the box holds', () => {
    const html = front(
      layoutWith([name, { ...name, id: 'rules', fit: 'wrap', heightMm: 20, maxLines: 3, minFontSizePt: 6 }]),
      { name: '张伟' },
    );
    expect(html).toContain('data-el="name" data-fit="shrink" data-lines="1"');
    expect(html).toContain('data-el="rules" data-fit="wrap" data-lines="3" data-min="6"');
  });

  it('interpolates static text and escapes the rest', () => {
    const html = front(
      layoutWith([
        { ...name, type: 'text', text: '单位 <{{organization}}> & {{zoneNames}}' } as LayoutElement,
      ]),
      {
        organization: '<b>某局</b>',
        zoneNames: '展馆区、主会场',
      },
    );
    expect(html).toContain('<div class="t">单位 &lt;&lt;b&gt;某局&lt;/b&gt;&gt; &amp; 展馆区、主会场</div>');
  });

  it('shows elements by condition and switches style rules by field value', () => {
    const layout = layoutWith([
      {
        id: 'vip',
        type: 'text',
        text: 'VIP',
        xMm: 0,
        yMm: 0,
        widthMm: 10,
        heightMm: 5,
        visibleIf: { field: 'zones', op: 'in', value: ['D'] },
      },
      {
        id: 'band',
        type: 'band',
        color: 'cardType',
        xMm: 0,
        yMm: 10,
        widthMm: 85.6,
        heightMm: 8,
        styleRules: [
          { when: { field: 'cardType', op: 'eq', value: 'VIP' }, style: { background: '#b7950b' } },
          { when: { field: 'nationality', op: 'ne', value: '中国' }, style: { opacity: 0.8 } },
        ],
      },
    ]);
    const compiled = compileLayout(layout);
    const run = (ctx: Record<string, unknown>) => render(compiled.front.template, ctx);
    expect(run({ zones: ['A', 'D'], cardType: 'VIP', nationality: '中国' })).toMatch(
      /el-vip[\s\S]*class="e e-band el-band r0"/,
    );
    expect(run({ zones: ['A'], cardType: 'STAFF', nationality: '法国' })).not.toContain('el-vip');
    expect(run({ zones: ['A'], cardType: 'STAFF', nationality: '法国' })).toContain(
      'class="e e-band el-band r1"',
    );
    expect(compiled.css).toContain(
      '.tc .el-band { margin: 10mm 0 0 0mm; width: 85.6mm; height: 8mm; background-color: var(--ct, #7f8c8d); }',
    );
    expect(compiled.css).toContain('.tc .el-band.r0 { background-color: #b7950b; }');
  });

  it('binds photo, QR, barcode and zones with the helpers, and prints option titles', () => {
    const layout = layoutWith([
      { id: 'ph', type: 'photo', xMm: 3, yMm: 3, widthMm: 22, heightMm: 29.3 },
      {
        id: 'qr',
        type: 'qrcode',
        field: 'verifyToken',
        errorCorrection: 'Q',
        xMm: 60,
        yMm: 30,
        widthMm: 20,
        heightMm: 20,
      },
      {
        id: 'bc',
        type: 'barcode',
        symbology: 'code128',
        field: 'cardNumber',
        showText: true,
        xMm: 30,
        yMm: 40,
        widthMm: 30,
        heightMm: 8,
      },
      { id: 'z', type: 'field', field: 'zones', xMm: 30, yMm: 3, widthMm: 20, heightMm: 8 },
      { id: 'g', type: 'field', field: 'gender', xMm: 30, yMm: 12, widthMm: 20, heightMm: 5 },
    ]);
    const form = {
      type: 'object',
      properties: {
        gender: {
          type: 'string',
          'x-label': '性别',
          'x-widget': 'radio',
          oneOf: [{ const: 'M', title: '男' }],
        },
        zones: { type: 'array', 'x-label': '区域', 'x-widget': 'zones', items: { type: 'string' } },
      },
    };
    const compiled = compileLayout(layout, { form: form as never });
    expect(compiled.front.template).toContain(
      '{{photo this.photo widthMm=22 heightMm=29.3 fit="cover" el="ph"}}',
    );
    expect(compiled.front.template).toContain('{{qr verifyToken ecl="Q" el="qr"}}');
    expect(compiled.front.template).toContain('{{barcode cardNumber type="code128" text=true el="bc"}}');
    const env = createTemplateEnv(services);
    const t = env.compile(compiled.front.template);
    expect(t.photoSlots).toEqual([{ path: 'photo', widthMm: 22, heightMm: 29.3, fit: 'cover' }]);
    const html = t.render(
      { photo: 'p.jpg', verifyToken: 'tok', cardNumber: 'VIP-1', zones: ['A', 'B'], gender: 'M' },
      data(),
    );
    expect(html).toContain('<div class="t">A B</div>');
    expect(html).toContain('<div class="t">男</div>');
    expect(html).toContain('<div class="bc-t">VIP-1</div>');
  });

  it('uses a layout’s own Handlebars source in advanced mode', () => {
    const layout = layoutWith([], {
      template: {
        front: '<div class="n">{{name}}</div>',
        css: '.n { color: red; background: url("{{asset "assets/logo.svg"}}") }',
      },
    });
    const compiled = compileLayout(layout);
    expect(compiled.front.advanced).toBe(true);
    expect(render(compiled.front.template, { name: '李<四>' })).toBe('<div class="n">李&lt;四&gt;</div>');
    expect(render(compiled.css, {})).toContain('url("https://tessera.invalid/a/x/assets/logo.svg")');
  });

  it('compiles every bundled layout', async () => {
    const { loadPluginsDirectory } = await import('../../core/plugins/index.ts');
    const { repoRoot } = await import('../../core/config.ts');
    const results = await loadPluginsDirectory(`${repoRoot}/plugins`);
    const env = createTemplateEnv(services);
    for (const r of results) {
      expect(r.ok, r.ok ? '' : JSON.stringify(r.errors)).toBe(true);
      if (!r.ok) continue;
      for (const layout of r.plugin.layouts) {
        const compiled = compileLayout(layout, { form: r.plugin.forms[layout.recordKind] });
        // The demo event is the example designers start from: nothing outside its safe area.
        if (r.plugin.code === 'demo-expo') expect(compiled.notes, layout.code).toEqual([]);
        env.compile(compiled.front.template);
        if (compiled.back) env.compile(compiled.back.template);
        env.compile(compiled.css);
      }
    }
  });

  it('is what the plugin host checks advanced templates with', async () => {
    const { readPluginFolder, validatePluginBundle } = await import('../../core/plugins/index.ts');
    const { repoRoot } = await import('../../core/config.ts');
    const { bundle } = await readPluginFolder(`${repoRoot}/plugins/demo-expo`);
    const layout = bundle.files['layouts/staff.json'] as CardLayout;
    bundle.files['layouts/staff.json'] = {
      ...layout,
      template: {
        front: '<div>{{name}}</div>\n{{> header}}',
        back: '{{lookup this "constructor"}}',
        css: '.x { color: red }',
      },
    };
    const result = validatePluginBundle(bundle, { name: 'demo-expo', source: 'test' });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.errors.filter((e) => e.code === 'invalid-template');
    expect(issues.map((i) => [i.pointer, i.message])).toEqual([
      ['/template/front', '第 2 行：不允许使用 partial（{{> …}}）'],
      ['/template/back', '第 1 行：不允许访问 constructor'],
    ]);
  });
});
