/**
 * A real browser: Debian's Chromium, headless, driven by playwright-core,
 * loads a page from one origin that uses the browser build of the SDK
 * (sdk/dist/tributary.iife.js, made by `make sdk`) to send events over
 * gRPC-Web to `tributary serve` on another origin. CORS lets the allowed
 * origin through and the events are found in ClickHouse; a page from an
 * origin not allowed gets nothing through; and a page that navigates away
 * with events still queued loses none: the next page of its origin sends
 * what it saved, and each event is stored once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium';
import type { Outcome } from '../../../sdk/src';
import { NatsServer } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(120_000);
const BUNDLE = join(__dirname, '..', '..', '..', 'sdk', 'dist', 'tributary.iife.js');
let nats: NatsServer;
let serve: ServeProcess;
let allowedPage: Server;
let otherPage: Server;
let browser: Browser;

/** Serves the test page and the SDK bundle on a free port of its own: an origin. */
async function pageServer(): Promise<Server> {
  const bundle = readFileSync(BUNDLE);
  const server = createServer((request, response) => {
    if (request.url === '/tributary.iife.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/tributary.iife.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const originOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`make sdk\` (make test does)`);
  [allowedPage, otherPage] = [await pageServer(), await pageServer()];
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url, { TRIBUTARY_CORS_ORIGINS: originOf(allowedPage) });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await nats?.stop();
  allowedPage?.close();
  otherPage?.close();
});

/** Opens the page of `origin` and sends a page view and two track events from it with the SDK. */
async function sendFromPage(origin: string, profileId: string): Promise<Outcome[]> {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(
      async ({ url, apiKey, profileId, pageUrl }) => {
        const { createClient } = (globalThis as unknown as { Tributary: typeof import('../../../sdk/src/browser') }).Tributary;
        const client = createClient({ url, apiKey, transport: 'grpc-web', profileId, closeTimeoutMs: 3000 });
        const outcomes = Promise.all([client.page({ url: pageUrl, title: 'shop' }), client.track('Product Viewed', { sku: 'w-1', price: 12.5 }), client.track('Added To Cart', { sku: 'w-1' })]);
        await client.close();
        return outcomes;
      },
      { url: serve.httpUrl, apiKey: serve.apiKey, profileId, pageUrl: origin },
    );
  } finally {
    await page.close();
  }
}

it('sends events from a page on an allowed origin over gRPC-Web, and ClickHouse has them', async () => {
  const outcomes = await sendFromPage(originOf(allowedPage), 'prof_browser');
  expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
  const rows = await waitFor('the browser events in ClickHouse', async () => {
    const found = await serve.query<{ call: string; name: string; library: string; session_id: string }>(
      `SELECT call, name, JSONExtractString(context, 'library', 'name') AS library, session_id FROM tributary.events_final WHERE profile_id = 'prof_browser' ORDER BY event_id`,
    );
    return found.length === 3 ? found : undefined;
  });
  expect(rows.map((r) => [r.call, r.name])).toEqual([
    ['page', ''],
    ['track', 'Product Viewed'],
    ['track', 'Added To Cart'],
  ]);
  expect(rows.every((r) => r.library === '@tributary/sdk' && r.session_id !== '' && r.session_id === rows[0].session_id)).toBe(true);
});

it('gets nothing through from an origin that is not allowed', async () => {
  const outcomes = await sendFromPage(originOf(otherPage), 'prof_other_origin');
  expect(outcomes.map((o) => o.status)).toEqual(['dropped', 'dropped', 'dropped']);
  const [row] = await serve.query<{ n: string }>(`SELECT count() AS n FROM tributary.events WHERE profile_id = 'prof_other_origin'`);
  expect(Number(row.n)).toBe(0);
});

it('keeps what a page had queued when it navigates away: the next page sends it, and each event is stored once', async () => {
  const origin = originOf(allowedPage);
  const profileId = 'prof_unload';
  const count = 40;
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    // 40 events of 4 KB wait for a flush that never comes: more than the 64 KiB a page may send with keepalive as it goes.
    await page.evaluate(
      ({ url, apiKey, profileId, count }) => {
        const { createClient } = (globalThis as unknown as { Tributary: typeof import('../../../sdk/src/browser') }).Tributary;
        const client = createClient({ url, apiKey, transport: 'grpc-web', profileId, batchSize: 1000, flushIntervalMs: 600_000 });
        for (let i = 0; i < count; i++) void client.track('Queued', { i, pad: 'x'.repeat(4000) });
      },
      { url: serve.httpUrl, apiKey: serve.apiKey, profileId, count },
    );
    await page.goto(`${origin}/next`);
    const restored = await page.evaluate(
      async ({ url, apiKey }) => {
        const { createClient } = (globalThis as unknown as { Tributary: typeof import('../../../sdk/src/browser') }).Tributary;
        const client = createClient({ url, apiKey, transport: 'grpc-web', profileId: 'prof_next_page' });
        const queued = client.queued;
        await client.close();
        return { queued, savedAfter: (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem('tributary.savedQueue') };
      },
      { url: serve.httpUrl, apiKey: serve.apiKey },
    );
    expect(restored).toEqual({ queued: count, savedAfter: null });
    const counts = await waitFor(
      'every queued event in ClickHouse',
      async () => {
        const [row] = await serve.query<{ final: string; raw: string }>(
          `SELECT (SELECT count() FROM tributary.events_final WHERE profile_id = '${profileId}') AS final, (SELECT count() FROM tributary.events WHERE profile_id = '${profileId}') AS raw`,
        );
        return Number(row.final) === count ? row : undefined;
      },
      60_000,
      200,
    );
    console.log(`page unload: ${count} events queued, ${restored.queued} sent again by the next page, ${counts.final} stored (FINAL), ${counts.raw} rows in the raw table`);
    expect(Number(counts.raw)).toBe(count);
  } finally {
    await page.close();
  }
});
