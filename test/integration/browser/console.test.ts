/**
 * The console in a real browser (Debian's Chromium through playwright-core),
 * against `tributary serve`: the page shows nothing until the admin key is
 * given (a wrong key is refused), then the live tail shows records as they
 * are answered, a filter keeps only its share, a rejection sample shows its
 * field and reason, each source gets a chart of its last hour, and the lag
 * is shown. The page loads nothing from another origin. A screenshot is
 * written to test-output/console.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium';
import { NatsServer } from '../../helpers/nats-server';
import { ingestJson, trackJson, unique } from '../../helpers/privacy-calls';
import { ServeProcess } from '../../helpers/serve-process';

jest.setTimeout(120_000);
const SCREENSHOT = join(__dirname, '..', '..', '..', 'test-output', 'console.png');
let nats: NatsServer;
let serve: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await nats?.stop();
});

/** The text of every row of a table body. */
const rowsOf = (page: Page, body: string) => page.locator(`#${body} tr`).allInnerTexts();

it('shows the tail, a rejection with its field and reason, and each source’s last hour, once the admin key is given', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  const elsewhere: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(serve.httpUrl)) elsewhere.push(request.url());
  });
  await page.goto(`${serve.httpUrl}/console`);
  expect(await page.locator('#console').isHidden()).toBe(true);
  await page.fill('#admin-key', 'not-the-admin-key-at-all');
  await page.click('#key-form button');
  await page.locator('#key-state', { hasText: 'refused' }).waitFor();
  expect(await page.locator('#console').isHidden()).toBe(true);

  await page.fill('#admin-key', serve.adminKey);
  await page.click('#key-form button');
  await page.locator('#console').waitFor({ state: 'visible' });
  await page.click('#tail-toggle');
  await page.locator('#tail-state', { hasText: 'tailing' }).waitFor();
  // The page's tail is watching once a first record reaches it.
  const first = trackJson(unique('prof'));
  await ingestJson(serve.httpUrl, serve.apiKey, [first]);
  await page.locator('#tail-rows tr', { hasText: first.eventId }).waitFor();

  const valid = [trackJson('prof_console'), trackJson('prof_console')];
  const invalid = { ...trackJson(''), eventId: unique('bad') };
  expect(await ingestJson(serve.httpUrl, serve.apiKey, [...valid, invalid])).toEqual(['RECORD_STATUS_ACCEPTED', 'RECORD_STATUS_ACCEPTED', 'RECORD_STATUS_REJECTED']);
  await page.locator('#tail-rows tr', { hasText: invalid.eventId }).waitFor();
  const tail = await rowsOf(page, 'tail-rows');
  // Newest first: the three records of the request above the first one.
  expect(tail.map((text) => text.split('\t')[2])).toEqual([invalid.eventId, valid[1].eventId, valid[0].eventId, first.eventId]);
  expect(tail[0]).toContain('rejected\tREQUIRED');

  // A filter keeps only its share.
  await page.click('#tail-toggle');
  await page.selectOption('#tail-form select[name=status]', 'rejected');
  await page.click('#tail-toggle');
  await page.locator('#tail-state', { hasText: 'tailing' }).waitFor();
  const again = { ...trackJson(''), eventId: unique('bad2') };
  const fine = trackJson('prof_console');
  await ingestJson(serve.httpUrl, serve.apiKey, [fine, again]);
  await page.locator('#tail-rows tr', { hasText: again.eventId }).waitFor();
  expect(await page.locator('#tail-rows tr', { hasText: fine.eventId }).count()).toBe(0);

  // The rejection samples and the chart come with the overview (every 5 s).
  const sample = page.locator('#rejections tr', { hasText: invalid.eventId });
  await sample.waitFor({ timeout: 30_000 });
  expect(await sample.innerText()).toContain('event.profile_id: REQUIRED');
  await page.locator('#charts .chart', { hasText: 'sdk_test' }).first().waitFor({ timeout: 30_000 });
  await page.locator('#charts canvas').first().waitFor();
  expect(await page.locator('#lag').innerText()).toMatch(/^sink \d+ · identity \d+ · accounting \d+/);
  mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(elsewhere).toEqual([]);
  await page.close();
});
