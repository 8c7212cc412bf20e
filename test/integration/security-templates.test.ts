// Template injection in card layouts, end to end through the designer's proof route and the real
// Chromium renderer: record values holding HTML, script and Handlebars syntax print as literal
// text; a layout's advanced Handlebars source with <script>, prototype-access expressions, an
// <iframe>/<object> on file:///etc/passwd, images, style sheets, @import and CSS url() on the
// network or on local files neither runs script, nor reads a local file, nor reaches the network
// (a local HTTP server counts every request it gets: none); the layout schema refuses raw HTML and
// CSS where only a colour, an asset path or a font name belongs.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardLayout } from '../../core/types/generated/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';

const exec = promisify(execFile);
const EVENT = 'EXPO2026';
/** What a script or a loaded file would put on the card if anything ran or loaded. */
const PWNED = 'PWNED';

// Within the form's lengths (organization ≤ 100, position ≤ 50).
const HOSTILE = {
  organization: `<img src=x onerror=document.write('${PWNED}')></style><script>document.write('${PWNED}')</script>`,
  position: `{{constructor.constructor('return 1')()}}{{{x}}}`,
};

let running: RunningServer;
let designer: ApiClient;
let beacon: Server;
let beaconUrl: string;
const beaconHits: string[] = [];
let dir: string;
let recordId: number;

/** A card layout with one bound field per hostile value; `template` switches to advanced mode. */
function layout(template?: CardLayout['template']): CardLayout {
  const field = (id: string, name: string, yMm: number) => ({
    id,
    type: 'field' as const,
    field: name,
    xMm: 3,
    yMm,
    widthMm: 80,
    heightMm: 8,
    style: { fontFamily: 'Noto Sans SC', fontSizePt: 6 },
  });
  return {
    code: 'sec-test',
    name: '安全测试',
    recordKind: 'person',
    size: { preset: 'CR80', widthMm: 85.6, heightMm: 54 },
    front: {
      background: { color: '#ffffff' },
      elements: [field('org', 'organization', 5), field('pos', 'position', 20), field('name', 'name', 35)],
    },
    ...(template ? { template } : {}),
  };
}

async function proof(body: unknown): Promise<{ status: number; text: string; report: string }> {
  const res = await designer.requestBytes('POST', `/api/events/${EVENT}/layouts/proof`, body);
  const report = decodeURIComponent(res.headers.get('x-render-report') ?? '');
  if (res.status !== 200 || res.headers.get('content-type') !== 'application/pdf') {
    return { status: res.status, text: res.data.toString('utf8'), report };
  }
  const file = path.join(dir, `proof-${Date.now()}-${Math.random()}.pdf`);
  await writeFile(file, res.data);
  const text = (await exec('pdftotext', ['-raw', file, '-'])).stdout;
  return { status: res.status, text, report };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-sec-templates-'));
  beacon = createServer((req, res) => {
    beaconHits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<p>${PWNED}</p>`);
  });
  await new Promise<void>((resolve) => beacon.listen(0, '127.0.0.1', resolve));
  beaconUrl = `http://127.0.0.1:${(beacon.address() as AddressInfo).port}`;

  running = await startTestServer();
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/users', { username: 'des', password: 'Passw0rd-123', role: 'designer' });
  designer = new ApiClient(running.url);
  await designer.login('des', 'Passw0rd-123');
  const photo = await admin.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: 'p.png', data: await pngPhoto(390, 520), type: 'image/png' },
  });
  const record = await admin.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    unitCode: 'UA',
    values: {
      name: '王小明',
      gender: 'M',
      idType: '1',
      idNumber: residentId('110101', '19900307', '661'),
      organization: HOSTILE.organization,
      position: HOSTILE.position,
      mobile: '13800138000',
      cardType: 'STAFF',
      photo: photo.body.photo.id,
    },
  });
  expect(record.status, JSON.stringify(record.body)).toBe(201);
  recordId = record.body.record.id;
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await new Promise((resolve) => beacon?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('card templates', () => {
  it('record values with HTML, script and Handlebars syntax print as literal text', async () => {
    const res = await proof({ layout: layout(), cardType: 'STAFF', recordIds: [recordId] });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const text = res.text.replace(/\s+/g, '');
    expect(text).toContain("<imgsrc=xonerror=document.write('PWNED')>");
    expect(text).toContain("</style><script>document.write('PWNED')</script>");
    expect(text).toContain("{{constructor.constructor('return1')()}}");
    expect(text).toContain('{{{x}}}');
    expect(text).toContain('王小明');
    // PWNED appears only inside the printed source text, never on its own.
    expect(res.text.replace(/document\.write\('PWNED'\)/g, '')).not.toContain(PWNED);
  });

  it('an advanced template cannot run script, read local files or reach the network', async () => {
    const front = [
      '<div class="mark">SAFE-MARK {{organization}}</div>',
      `<script>document.body.innerHTML = '${PWNED}';</script>`,
      `<img src="x" onerror="document.body.innerHTML='${PWNED}'">`,
      `<svg><script>document.body.innerHTML='${PWNED}'</script></svg>`,
      `<body onload="document.body.innerHTML='${PWNED}'">`,
      '<iframe src="file:///etc/passwd" style="width:80mm;height:30mm"></iframe>',
      '<object data="file:///etc/passwd" type="text/plain" style="width:80mm;height:30mm"></object>',
      '<embed src="file:///etc/hostname" type="text/plain">',
      `<iframe src="${beaconUrl}/iframe"></iframe>`,
      `<img src="${beaconUrl}/img">`,
      `<img src="file:///etc/passwd">`,
      `<link rel="stylesheet" href="${beaconUrl}/link.css">`,
      `<meta http-equiv="refresh" content="0;url=${beaconUrl}/refresh">`,
      '<meta http-equiv="refresh" content="0">',
      `<video src="${beaconUrl}/video" autoplay></video>`,
      `<form action="${beaconUrl}/form"><input type="image" src="${beaconUrl}/input"></form>`,
      `<div style="background-image:url('${beaconUrl}/inline-style')">x</div>`,
    ].join('\n');
    const css = [
      `@import url("${beaconUrl}/import.css");`,
      `.mark { background: url("${beaconUrl}/css-bg"); }`,
      `.mark::after { content: url("file:///etc/passwd"); }`,
      `@font-face { font-family: leak; src: url("${beaconUrl}/font.woff2"), url("file:///usr/share/fonts"); }`,
      `.mark { font-family: leak; }`,
    ].join('\n');
    const res = await proof({
      layout: layout({ front, css }),
      cardType: 'STAFF',
      recordIds: [recordId],
    });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.text).toContain('SAFE-MARK');
    // The hostile value is still only text.
    expect(res.text.replace(/\s+/g, '')).toContain('<imgsrc=xonerror=');
    expect(res.text.replace(/document\.write\('PWNED'\)/g, '')).not.toContain(PWNED);
    expect(res.text).not.toMatch(/root:.*:0:0:/);
    expect(beaconHits).toEqual([]);
  });

  it('prototype access, partials, raw output and unknown helpers are refused or print nothing', async () => {
    const attempts = [
      '{{constructor}}',
      '{{__proto__}}',
      '{{constructor.name}}',
      '{{organization.constructor.name}}',
      '{{lookup this "constructor"}}',
      '{{lookup (lookup this "constructor") "name"}}',
      '{{#with constructor}}{{name}}{{/with}}',
      '{{#each this}}{{@key}}={{this.constructor.name}};{{/each}}',
      '{{{organization}}}',
      '{{& organization}}',
      '{{> evil}}',
      '{{log organization}}',
      '{{helperMissing}}',
    ];
    for (const attempt of attempts) {
      const res = await proof({
        layout: layout({ front: `<div>ATTEMPT[${attempt}]</div>` }),
        cardType: 'STAFF',
        recordIds: [recordId],
      });
      expect([200, 422], `${attempt}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
      if (res.status === 422) {
        // A clear Chinese message, not an internal error.
        expect(JSON.parse(res.text).error.message, attempt).toMatch(/[\u4e00-\u9fa5]/);
        continue;
      }
      expect(res.text, attempt).not.toMatch(/function|Object|String|\[native code\]|prototype/);
    }
  });

  it('the layout schema refuses HTML and CSS where a colour, an asset path, a field or an id belongs', async () => {
    const base = layout();
    const bad: Array<[string, (l: CardLayout) => void]> = [
      ['background colour', (l) => (l.front.background = { color: `red;background:url(${beaconUrl}/x)` })],
      ['background image', (l) => (l.front.background = { image: 'file:///etc/passwd' })],
      ['background image climbing', (l) => (l.front.background = { image: 'assets/../../secrets.json' })],
      [
        'element id',
        (l) => (l.front.elements[0] = { ...l.front.elements[0]!, id: '"><script>x</script>' } as never),
      ],
      [
        'bound field',
        (l) => (l.front.elements[0] = { ...l.front.elements[0]!, field: 'constructor.name' } as never),
      ],
      [
        'text colour',
        (l) =>
          (l.front.elements[0] = {
            ...l.front.elements[0]!,
            style: { color: '#fff" onload="x' },
          } as never),
      ],
    ];
    for (const [what, spoil] of bad) {
      const spoilt = structuredClone(base);
      spoil(spoilt);
      const res = await proof({ layout: spoilt, cardType: 'STAFF', recordIds: [recordId] });
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(422);
      expect(JSON.parse(res.text).error.message, what).toMatch(/[\u4e00-\u9fa5]/);
    }
    expect(beaconHits).toEqual([]);
  });

  it('a font family is never written into the CSS as given: an unknown one falls back, with a note', async () => {
    const spoilt = layout();
    spoilt.front.elements[0] = {
      ...spoilt.front.elements[0]!,
      style: { fontFamily: `x;}</style><script>document.write('${PWNED}')</script><style>{` },
    } as never;
    const res = await proof({ layout: spoilt, cardType: 'STAFF', recordIds: [recordId] });
    expect(res.status, res.text.slice(0, 200)).toBe(200);
    expect(res.report).toContain('不可用');
    expect(res.text.replace(/document\.write\('PWNED'\)/g, '')).not.toContain(PWNED);
  });
});
