import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Photo } from '../../core/photos/model.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

/**
 * A signed-in client for photos: multipart uploads and raw responses (images, headers) on its own
 * session, JSON requests through the harness's ApiClient (signed in on a second session).
 */
class PhotoClient {
  private sessionCookie = '';
  private sessionCsrf = '';
  private readonly api: ApiClient;

  constructor(private readonly base: string) {
    this.api = new ApiClient(base);
  }

  request(method: string, url: string, body?: unknown) {
    return this.api.request(method, url, body);
  }

  async login(username: string, password: string) {
    const response = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    this.sessionCookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    this.sessionCsrf = ((await response.json()) as Body).csrfToken;
    await this.api.login(username, password);
  }

  async uploadPhoto(
    event: string,
    file: { data: Uint8Array; name: string; type: string } | null,
    crop?: unknown,
  ) {
    const form = new FormData();
    if (file) form.append('file', new Blob([new Uint8Array(file.data)], { type: file.type }), file.name);
    if (crop !== undefined) form.append('crop', typeof crop === 'string' ? crop : JSON.stringify(crop));
    const response = await fetch(`${this.base}/api/events/${event}/photos`, {
      method: 'POST',
      headers: { cookie: this.sessionCookie, 'x-csrf-token': this.sessionCsrf },
      body: form,
    });
    const text = await response.text();
    let body: Body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  }

  fetchRaw(url: string, headers: Record<string, string> = {}) {
    return fetch(this.base + url, { headers: { cookie: this.sessionCookie, ...headers } });
  }
}

let running: RunningServer;
let admin: ApiClient;
let clerk: PhotoClient;
let unitA: PhotoClient;
let unitB: PhotoClient;
let reviewer: PhotoClient;
let designer: PhotoClient;

const EVENT = 'EXPO2026';
const OTHER_EVENT = 'BJMARATHON2026';
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

function painted(
  width: number,
  height: number,
  paint: (x: number, y: number) => number[],
  channels: 3 | 4 = 3,
) {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw.set(paint(x, y), (y * width + x) * channels);
  return sharp(raw, { raw: { width, height, channels } });
}

async function pixel(image: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

const close = (actual: number[], expected: number[]) =>
  expect(
    actual.every((v, i) => Math.abs(v - expected[i]!) <= 24),
    `${actual} ≈ ${expected}`,
  ).toBe(true);

const jpegFile = (data: Uint8Array, name = 'photo.jpg') => ({ data, name, type: 'image/jpeg' });

/** A plain, valid person; photo added by each test. */
let sequence = 100;
const person = (overrides: Record<string, unknown> = {}) => ({
  name: '王芳',
  gender: 'F',
  birthDate: '1992-05-06',
  idType: '1',
  idNumber: residentId('110101', '19920506', String((sequence += 2))),
  organization: '某某局',
  mobile: '13900139000',
  cardType: 'STAFF',
  ...overrides,
});

let portrait: Buffer;

beforeAll(async () => {
  running = await startTestServer({ maxUploadBytes: MAX_UPLOAD_BYTES });
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  const users = [
    { username: 'clerk1', role: 'clerk' },
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'unit-b', role: 'unit', unitCode: 'UB' },
    { username: 'reviewer1', role: 'reviewer' },
    { username: 'designer1', role: 'designer' },
  ];
  for (const u of users) {
    expect((await admin.request('POST', '/api/users', { ...u, password: 'Passw0rd-123' })).status).toBe(201);
  }
  [clerk, unitA, unitB, reviewer, designer] = (await Promise.all(
    users.map(async (u) => {
      const client = new PhotoClient(running.url);
      await client.login(u.username, 'Passw0rd-123');
      return client;
    }),
  )) as [PhotoClient, PhotoClient, PhotoClient, PhotoClient, PhotoClient];
  // 800×1000 upright (red top half, blue bottom half), stored sideways with EXIF orientation 6.
  portrait = await painted(1000, 800, (x) => (x < 500 ? RED : BLUE))
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
});

afterAll(async () => {
  await running?.stop();
});

describe('photo upload', () => {
  it('stores an EXIF-rotated JPEG upright, centre-cropped to 3:4, and serves it', async () => {
    const res = await clerk.uploadPhoto(EVENT, jpegFile(portrait, 'IMG_0001.JPG'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { id, width, height, url } = res.body.photo;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect([width, height]).toEqual([717, 956]);
    expect(url).toBe(`/api/photos/${id}`);

    const row = (await Photo.findByPk(id))!;
    expect(row.unitId).toBeNull();
    expect(row.mediaType).toBe('image/jpeg');
    expect(row.originalName).toBe('IMG_0001.JPG');
    const sha = row.sha256;
    expect(
      existsSync(path.join(running.engine.config.dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha)),
    ).toBe(true);

    const image = await clerk.fetchRaw(url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('etag')).toBe(`"${sha}"`);
    const bytes = new Uint8Array(await image.arrayBuffer());
    expect(bytes.length).toBe(row.byteSize);
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([717, 956, undefined]);
    close(await pixel(bytes, 358, 20), RED);
    close(await pixel(bytes, 358, 930), BLUE);

    // fetch() adds `Cache-Control: no-cache` to conditional requests unless one is given.
    const again = await clerk.fetchRaw(url, { 'if-none-match': `"${sha}"`, 'cache-control': 'max-age=0' });
    expect(again.status).toBe(304);
  });

  it('flattens a transparent PNG onto white', async () => {
    const png = await painted(
      600,
      800,
      (x, y) => (y > 400 && x > 100 && x < 500 ? [0, 0, 0, 255] : [0, 0, 0, 0]),
      4,
    )
      .png()
      .toBuffer();
    const res = await clerk.uploadPhoto(EVENT, { data: png, name: 'cutout.png', type: 'image/png' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const bytes = new Uint8Array(await (await clerk.fetchRaw(res.body.photo.url)).arrayBuffer());
    close(await pixel(bytes, 10, 10), [255, 255, 255]);
    close(await pixel(bytes, 300, 700), [0, 0, 0]);
  });

  it('crops to the rectangle given in original pixels, at the event aspect ratio', async () => {
    const big = await painted(2400, 2400, (x) => (x < 1200 ? RED : BLUE))
      .jpeg()
      .toBuffer();
    const res = await clerk.uploadPhoto(EVENT, jpegFile(big), { x: 1300, y: 100, width: 900, height: 1200 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { width, height, url } = res.body.photo;
    expect(width / height).toBeCloseTo(0.75, 2);
    expect(width).toBeLessThanOrEqual(718);
    expect(width).toBeGreaterThanOrEqual(358);
    const bytes = new Uint8Array(await (await clerk.fetchRaw(url)).arrayBuffer());
    close(await pixel(bytes, 2, 2), BLUE);
  });

  it('refuses a 200×250 photo with the resolution in the message', async () => {
    const small = await painted(200, 250, () => RED)
      .jpeg()
      .toBuffer();
    const res = await clerk.uploadPhoto(EVENT, jpegFile(small));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('photo_resolution_too_low');
    expect(res.body.error.message).toMatch(/照片分辨率不足：裁剪后 188×250 像素.*至少需要 358×441 像素/);
  });

  it('refuses a crop of the wrong shape, a malformed crop and a crop outside the image', async () => {
    const wrong = await clerk.uploadPhoto(EVENT, jpegFile(portrait), { x: 0, y: 0, width: 800, height: 800 });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('photo_aspect_ratio');
    const malformed = await clerk.uploadPhoto(EVENT, jpegFile(portrait), '{"x":1');
    expect(malformed.status).toBe(422);
    expect(malformed.body.error.code).toBe('photo_crop_invalid');
    const outside = await clerk.uploadPhoto(EVENT, jpegFile(portrait), {
      x: 500,
      y: 0,
      width: 750,
      height: 1000,
    });
    expect(outside.status).toBe(422);
    expect(outside.body.error.message).toContain('超出图片范围');
  });

  it('refuses a file that is not an image, and a request without a file', async () => {
    const text = await clerk.uploadPhoto(EVENT, {
      data: Buffer.from('名单,张三\n'),
      name: 'list.csv',
      type: 'text/csv',
    });
    expect(text.status).toBe(422);
    expect(text.body.error.code).toBe('photo_unsupported_format');
    expect(text.body.error.message).toMatch(/不支持的图片格式.*请上传 JPG 或 PNG/);
    const none = await clerk.uploadPhoto(EVENT, null);
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('photo_missing');
  });

  it('refuses a file over the event maxBytes, and one over the server upload limit, with Chinese messages', async () => {
    // 3 MB of noise: a valid JPEG that is simply too big for the event's 2 MB.
    const noisy = await sharp(
      Buffer.from(Array.from({ length: 1500 * 2000 * 3 }, () => (Math.random() * 256) | 0)),
      {
        raw: { width: 1500, height: 2000, channels: 3 },
      },
    )
      .jpeg({ quality: 100 })
      .toBuffer();
    expect(noisy.length).toBeGreaterThan(2_000_000);
    const large = await clerk.uploadPhoto(EVENT, jpegFile(noisy));
    expect(large.status).toBe(413);
    expect(large.body.error.code).toBe('photo_too_large');
    expect(large.body.error.message).toMatch(/^照片超过 2 MB/);

    const huge = await clerk.uploadPhoto(EVENT, jpegFile(Buffer.alloc(MAX_UPLOAD_BYTES + 1024, 7)));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('upload_too_large');
    expect(huge.body.error.message).toBe('上传的文件超过 5 MB 的限制，请压缩或拆分后再上传');
    // The server is still fine afterwards.
    expect((await clerk.uploadPhoto(EVENT, jpegFile(portrait))).status).toBe(201);
  });

  it('lets only entry roles upload', async () => {
    // Not multipart: a file refused by the role check would stay in the temp folder (see app.ts).
    const res = await reviewer.request('POST', `/api/events/${EVENT}/photos`, {});
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });
});

describe('photo access', () => {
  let photoOfA: string;

  beforeAll(async () => {
    const res = await unitA.uploadPhoto(EVENT, jpegFile(portrait));
    expect(res.status).toBe(201);
    photoOfA = res.body.photo.id;
  });

  it('gives a unit user its own photos and hides the others', async () => {
    expect((await unitA.fetchRaw(`/api/photos/${photoOfA}`)).status).toBe(200);
    const other = await unitB.fetchRaw(`/api/photos/${photoOfA}`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as Body).error.code).toBe('photo_not_found');
    expect((await clerk.fetchRaw(`/api/photos/${photoOfA}`)).status).toBe(200);
    expect((await reviewer.fetchRaw(`/api/photos/${photoOfA}`)).status).toBe(200);
    expect((await designer.fetchRaw(`/api/photos/${photoOfA}`)).status).toBe(403);
    expect((await fetch(`${running.url}/api/photos/${photoOfA}`)).status).toBe(401);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    expect((await clerk.fetchRaw('/api/photos/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await clerk.fetchRaw('/api/photos/not-a-uuid')).status).toBe(404);
  });

  // security-headers.ts sets `Cache-Control: no-store` on every /api response after the route ran,
  // overriding the route's header; remove `.fails` once it leaves a route's own Cache-Control alone.
  it('lets the browser cache a photo for good (content never changes)', async () => {
    const res = await clerk.fetchRaw(`/api/photos/${photoOfA}`);
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
  });
});

describe('photo fields of records', () => {
  it('refuses a nonexistent photo id and a photo of another event at the photo field', async () => {
    const missing = await clerk.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      unitCode: 'UA',
      values: person({ photo: '00000000-0000-4000-8000-000000000000' }),
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.fields.photo[0].code).toBe('photo-not-found');
    expect(missing.body.error.details.fields.photo[0].message).toMatch(/请重新上传照片/);

    const garbage = await clerk.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      unitCode: 'UA',
      values: person({ photo: 'IMG_0001.JPG', name: '' }),
    });
    expect(garbage.status).toBe(422);
    expect(Object.keys(garbage.body.error.details.fields).sort()).toEqual(['name', 'photo']);

    const elsewhere = await clerk.uploadPhoto(OTHER_EVENT, jpegFile(portrait));
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(201);
    const foreign = await clerk.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      unitCode: 'UA',
      values: person({ photo: elsewhere.body.photo.id }),
    });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details.fields.photo[0].code).toBe('photo-not-found');
  });

  it("refuses another unit's photo for a unit user, accepts its own", async () => {
    const ofA = (await unitA.uploadPhoto(EVENT, jpegFile(portrait))).body.photo.id as string;
    const byB = await unitB.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      values: person({ photo: ofA }),
    });
    expect(byB.status).toBe(422);
    expect(byB.body.error.details.fields.photo[0].message).toMatch(/本单位/);
    const byA = await unitA.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      values: person({ photo: ofA }),
    });
    expect(byA.status, JSON.stringify(byA.body)).toBe(201);
    expect(byA.body.record.values.photo).toBe(ofA);
  });

  it("shows a clerk's photo on a unit's record to that unit, which can save the record unchanged", async () => {
    const clerkPhoto = (await clerk.uploadPhoto(EVENT, jpegFile(portrait))).body.photo.id as string;
    expect((await unitA.fetchRaw(`/api/photos/${clerkPhoto}`)).status).toBe(404);
    const created = await clerk.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      unitCode: 'UA',
      values: person({ photo: clerkPhoto }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await unitA.fetchRaw(`/api/photos/${clerkPhoto}`)).status).toBe(200);
    expect((await unitB.fetchRaw(`/api/photos/${clerkPhoto}`)).status).toBe(404);

    const record = created.body.record;
    const updated = await unitA.request('PUT', `/api/events/${EVENT}/records/${record.id}`, {
      values: { ...record.values, mobile: '13700137000' },
      version: record.version,
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.record.values.photo).toBe(clerkPhoto);

    // Swapping in a photo the unit may not use is refused.
    const other = (await clerk.uploadPhoto(EVENT, jpegFile(portrait))).body.photo.id as string;
    const swapped = await unitA.request('PUT', `/api/events/${EVENT}/records/${record.id}`, {
      values: { ...updated.body.record.values, photo: other },
      version: updated.body.record.version,
    });
    expect(swapped.status).toBe(422);
    expect(swapped.body.error.details.fields.photo[0].code).toBe('photo-not-found');
  });
});
