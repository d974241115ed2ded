/**
 * Debian's Chromium, headless, through playwright-core, as the browser tests
 * launch it: no sandbox (tests may run as root), and none of the background
 * traffic a first run would start.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's package puts Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches Chromium; throws saying how to install it when it is missing. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install chromium (make test does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
