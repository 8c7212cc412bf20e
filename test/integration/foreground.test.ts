// The server counts each API request as foreground work from its arrival until its answer has been
// written (or the client has gone): background tasks give way while any is in flight. A request
// left counted would slow every import and print job for good, so every way a request ends is
// walked here, and the count must be back to nothing after each.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreground } from '../../core/concurrency.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

let running: RunningServer;
let admin: ApiClient;

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
}, 120_000);

afterAll(async () => {
  await running?.stop();
});

/** Waits until the count is back to nothing, or fails after a second. */
async function settled(): Promise<boolean> {
  for (let i = 0; i < 100 && foreground.busy; i++) await new Promise((r) => setTimeout(r, 10));
  return !foreground.busy;
}

describe('foreground requests', () => {
  it('are counted while in flight, and no longer once answered, refused or failed', async () => {
    expect(await settled()).toBe(true);
    expect((await admin.request('GET', '/api/units')).status).toBe(200);
    expect(await settled()).toBe(true);
    expect((await admin.request('GET', '/api/events/EXPO2026/records/999999999')).status).toBe(404);
    expect((await new ApiClient(running.url).request('GET', '/api/units')).status).toBe(401);
    expect((await admin.request('POST', '/api/units', { code: '' })).status).toBe(400);
    expect(await settled()).toBe(true);
    // Static files of the designer are not what the background yields to.
    await fetch(`${running.url}/`);
    expect(await settled()).toBe(true);
  });

  it('counts an upload still arriving, and lets go when the client goes away mid-request', async () => {
    const { hostname, port } = new URL(running.url);
    const socket = net.connect(Number(port), hostname);
    socket.on('error', () => undefined); // the server may answer the cut-off request: not this test's concern
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      [
        'POST /api/events/EXPO2026/photos HTTP/1.1',
        `Host: ${hostname}:${port}`,
        `Cookie: ${admin.cookie}`,
        `X-CSRF-Token: ${admin.csrfToken}`,
        'Content-Type: multipart/form-data; boundary=x',
        'Content-Length: 100000',
        '',
        '--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n',
      ].join('\r\n'),
    );
    let counted = false;
    for (let i = 0; i < 100 && !counted; i++) {
      counted = foreground.busy;
      if (!counted) await new Promise((r) => setTimeout(r, 10));
    }
    expect(counted).toBe(true);
    socket.destroy();
    expect(await settled()).toBe(true);
  });
});
