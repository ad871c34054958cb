/**
 * The offline report, opened in headless Chromium (from the
 * `@sparticuz/chromium` npm package, or `CHROMIUM_PATH`; see
 * test/support/browser.ts), driven by playwright-core: the three machine
 * diagrams and the sequence diagram render with a size, the violating step is
 * there and marked, the page loads nothing from anywhere, and a screenshot is
 * saved to test-output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { replayTrace } from '../src/trace/replay.js';
import { readTraceFile } from '../src/trace/trace.js';
import { buildReport } from '../src/views/report.js';
import { launchBrowser } from './support/browser.js';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'test-output');

let browser: Browser;
beforeAll(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Opens `html` from a file; every request other than that file is refused and counted. */
async function open(html: string, name: string): Promise<{ page: Page; external: string[] }> {
  const file = path.join(outDir, name);
  fs.writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const external: string[] = [];
  await page.route('**/*', (route) => {
    const requested = route.request().url();
    if (requested === url) return route.continue();
    external.push(requested);
    return route.abort();
  });
  await page.goto(url);
  return { page, external };
}

async function size(page: Page, selector: string): Promise<{ width: number; height: number }[]> {
  return page.locator(selector).evaluateAll((els) => els.map((e) => ({ width: e.getBoundingClientRect().width, height: e.getBoundingClientRect().height })));
}

describe('report of a counterexample, in Chromium', () => {
  const traceFile = path.join(root, 'examples', 'arm64-rfcv1-elr-clobbered.json');
  const trace = readTraceFile(traceFile);
  const outcome = replayTrace(trace);

  it('renders the machines, the sequence and the steps, with the violating step marked', async () => {
    expect(outcome.status).toBe('violation');
    const violating = outcome.status === 'violation' ? outcome.violation.length : -1;
    const { page, external } = await open(await buildReport({ trace }), 'report.html');
    try {
      // the three statecharts: an SVG each, with a real size, and the visited states highlighted
      for (const kind of ['host', 'guest', 'token']) {
        const [svg] = await size(page, `#machine-${kind} svg`);
        expect(svg!.width, kind).toBeGreaterThan(100);
        expect(svg!.height, kind).toBeGreaterThan(50);
        expect(await page.locator(`#machine-${kind} g.node.visited`).count(), kind).toBeGreaterThan(0);
        expect(await page.locator(`#machine-${kind} g.node:not(.visited)`).count(), kind).toBeGreaterThan(0);
      }
      // the sequence diagram: one row per step, the violating one highlighted in red
      const [sequence] = await size(page, '#sequence svg.sequence');
      expect(sequence!.width).toBeGreaterThan(100);
      expect(sequence!.height).toBeGreaterThan(trace.steps.length * 20);
      expect(await page.locator('#sequence g.step').count()).toBe(trace.steps.length);
      const marked = page.locator('#sequence g.step.violation');
      expect(await marked.count()).toBe(1);
      expect(await marked.getAttribute('data-step')).toBe(String(violating));
      expect(await marked.locator('rect').first().getAttribute('stroke')).toBe('#c62828');
      const [markedBox] = await size(page, '#sequence g.step.violation');
      expect(markedBox!.width).toBeGreaterThan(0);
      // the step table, and the verdict naming the recorded property
      expect(await page.locator('#steps tbody tr').count()).toBe(trace.steps.length);
      expect(await page.locator('#steps tr.violation').getAttribute('data-step')).toBe(String(violating));
      expect(await page.locator('#verdict').textContent()).toContain(`VIOLATED ${trace.violation!.property} after step ${violating}`);
      // self-contained: the page asked for nothing but itself; the inline SVGs keep their element ids apart
      expect(external).toEqual([]);
      const ids = await page.locator('[id]').evaluateAll((els) => els.map((e) => e.id));
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
      // the first screen (verdict and message sequence): docs/report.png is a copy of this file
      await page.screenshot({ path: path.join(outDir, 'report.png') });
      expect(fs.statSync(path.join(outDir, 'report.png')).size).toBeGreaterThan(10_000);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('draws a design alone: the three machines, no sequence', async () => {
    const { page, external } = await open(await buildReport({ design: designByName('arm64-sdei') }), 'design.html');
    try {
      expect(await page.locator('figure.machine svg').count()).toBe(3);
      for (const box of await size(page, 'figure.machine svg')) expect(box.width * box.height).toBeGreaterThan(0);
      expect(await page.locator('#sequence').count()).toBe(0);
      expect(await page.locator('g.node.visited').count()).toBe(0);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
