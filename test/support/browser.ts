/**
 * The headless Chromium the browser tests drive (through playwright-core).
 * `CHROMIUM_PATH`, when set, names a Chromium of the machine's own; otherwise
 * the one shipped inside the `@sparticuz/chromium` npm package is unpacked
 * (to /tmp, about 2 s the first time), so `npm ci && npm test` needs nothing
 * from outside npm. Both are started with the flags a closed network needs.
 */
import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/** No background traffic: this machine's network is closed, and Chromium would retry its refused connections. */
const OFFLINE = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the browser comes from, for messages. */
export function browserSource(): string {
  return process.env.CHROMIUM_PATH === undefined ? 'the Chromium of @sparticuz/chromium' : `CHROMIUM_PATH=${process.env.CHROMIUM_PATH}`;
}

export async function launchBrowser(): Promise<Browser> {
  const own = process.env.CHROMIUM_PATH;
  if (own !== undefined) return chromium.launch({ executablePath: own, args: OFFLINE, headless: true });
  // --single-process suits one page per launch (its AWS Lambda use); here closing a page would end the browser
  const args = sparticuz.args.filter((arg) => arg !== '--single-process');
  return chromium.launch({ executablePath: await sparticuz.executablePath(), args: [...args, ...OFFLINE], headless: true });
}
