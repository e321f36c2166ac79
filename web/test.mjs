// The browser test: Debian's Chromium, headless with software WebGL2
// (SwiftShader), loads dist/ from a local server and checks the app as a
// person would meet it. Fails on a console error, a blank or nearly blank
// canvas, text that overlaps or is cut, a first frame later than the budget,
// or a digest that differs from the desktop's.
//
//   node web/test.mjs DIST OUT_DIR NATIVE_DIGESTS
//
// NATIVE_DIGESTS is what `flotilla digest scenarios/` printed. Screenshots go
// in OUT_DIR, to be looked at. Needs playwright-core (npm) and ImageMagick's
// identify; the browser is /usr/bin/chromium (or $CHROMIUM).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { serve } from './serve.mjs';

// playwright-core lives with the other web tools, outside the repository.
const require = createRequire(join(process.env.FLOTILLA_WEB_TOOLS ?? '.', 'node_modules', 'x.js'));
const { chromium } = require('playwright-core');

const [dist, outDir, nativeFile] = process.argv.slice(2);
if (!dist || !outDir || !nativeFile) {
  console.error('usage: node web/test.mjs DIST OUT_DIR NATIVE_DIGESTS');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const FIRST_FRAME_BUDGET_MS = 5000;
const MIN_COLOURS = 16;
const failures = [];
const fail = (what) => { failures.push(what); console.log(`FAIL ${what}`); };
const pass = (what) => console.log(`ok   ${what}`);

const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const flags = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const launch = (extra = []) => chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [...flags, ...extra] });
const browser = await launch();

/** A page at `path` and `size`, with every console error counted against the test. */
async function open(path, [width, height], label) {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('console', (m) => {
    if (m.type() === 'error') fail(`${label}: console error: ${m.text().slice(0, 400)}`);
  });
  page.on('pageerror', (e) => fail(`${label}: page error: ${String(e).slice(0, 400)}`));
  page.on('requestfailed', (r) => fail(`${label}: request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) fail(`${label}: ${r.status()} for ${r.url()}`); });
  await page.goto(base + path);
  return page;
}

/** Waits for the app's first frame; returns its time since navigation, in ms. */
async function running(page, label) {
  try {
    await page.waitForSelector('body[data-flotilla=running]', { timeout: 90000 });
  } catch {
    fail(`${label}: the app did not draw within 90 s`);
    return null;
  }
  return Number(await page.getAttribute('body', 'data-first-frame-ms'));
}

function colours(png) {
  return Number(execFileSync('identify', ['-format', '%k', png]).toString());
}

/** A screenshot of the canvas, checked for content. */
async function shot(page, name, label) {
  const file = join(outDir, name);
  await page.locator('#flotilla').screenshot({ path: file });
  const n = colours(file);
  if (n < MIN_COLOURS) fail(`${label}: ${name} has ${n} colours: blank or nearly so`);
  else pass(`${label}: ${name}, ${n} colours`);
  return file;
}

async function layoutProblems(page, label) {
  await page.waitForSelector('body[data-layout-problems]', { timeout: 60000 });
  const report = JSON.parse(await page.getAttribute('body', 'data-layout-problems'));
  if (report.problems.length) {
    fail(`${label}: ${report.problems.length} lines of text overlap or are cut:\n    ${report.problems.join('\n    ')}`);
  } else {
    pass(`${label}: layout, ${report.text_boxes} lines of text, none overlapping or cut`);
  }
}

// 1. The link a student opens: the default scenario, drawn within the budget.
const firstFrames = [];
{
  const label = 'first frame';
  const page = await open('', [1280, 800], label);
  const ms = await running(page, label);
  if (ms !== null) {
    firstFrames.push(ms);
    const marks = await page.evaluate(() => Object.fromEntries(
      performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])));
    const detail = `module downloaded and compiled at ${marks['flotilla-downloaded']} ms, started at ${marks['flotilla-started']} ms`;
    if (ms > FIRST_FRAME_BUDGET_MS) fail(`${label}: after ${ms} ms (budget ${FIRST_FRAME_BUDGET_MS} ms; ${detail})`);
    else pass(`${label}: after ${ms} ms (budget ${FIRST_FRAME_BUDGET_MS} ms; ${detail})`);
    await shot(page, 'default-1280x800.png', label);
  }
  await page.close();
}

// 2. Two bundled scenarios through ?scenario=, at two window sizes (the
//    time to the first frame includes running the scenario up to ?at=).
for (const [path, size, name] of [
  ['?scenario=cold-start&at=24s&layout-check', [1280, 800], 'cold-start-1280x800.png'],
  ['?scenario=autoscaling-spike&at=10m50s&layout-check', [1920, 1080], 'autoscaling-spike-1920x1080.png'],
]) {
  const label = path.split('&')[0];
  const page = await open(path, size, label);
  const ms = await running(page, label);
  if (ms !== null) {
    pass(`${label}: first frame after ${ms} ms, at the time asked for`);
    const scenario = await page.getAttribute('body', 'data-scenario');
    if (!path.includes(`scenario=${scenario.replace(/\.ron$/, '')}`)) fail(`${label}: opened ${scenario}`);
    await layoutProblems(page, label);
    await shot(page, name, label);
  }
  await page.close();
}

// 3. Every classroom size, normal and presentation, on the longest clock.
for (const [w, h] of [[1920, 1080], [1280, 800], [1280, 720], [1024, 768]]) {
  for (const presentation of [false, true]) {
    const mode = presentation ? 'presentation' : 'normal';
    const label = `volte-core ${w}x${h} ${mode}`;
    const page = await open(`?scenario=volte-core&at=19h&layout-check${presentation ? '&presentation' : ''}`, [w, h], label);
    if ((await running(page, label)) !== null) {
      await layoutProblems(page, label);
      await shot(page, `volte-core-${w}x${h}-${mode}.png`, label);
    }
    await page.close();
  }
}

// 4. Files from the user's disk: a bad one through the file input shows the
//    located error and keeps the scenario running; a good one dropped on the
//    page opens.
{
  const label = 'open a file';
  const page = await open('?scenario=warm-cache', [1280, 800], label);
  if ((await running(page, label)) !== null) {
    const bad = readFileSync(join(dist, 'scenarios', 'cold-start.ron'), 'utf8').replace('seed:', 'seeed:');
    await page.setInputFiles('#open-file', { name: 'typo.ron', mimeType: 'text/plain', buffer: Buffer.from(bad) });
    await page.waitForSelector('body[data-load-error]', { timeout: 20000 }).catch(() => {});
    const error = await page.getAttribute('body', 'data-load-error');
    const scenario = await page.getAttribute('body', 'data-scenario');
    if (!error || !/^typo\.ron:\d+:\d+: /.test(error)) fail(`${label}: a misspelt field gave ${JSON.stringify(error)}`);
    else if (scenario !== 'warm-cache.ron') fail(`${label}: after the bad file, ${scenario} is open`);
    else pass(`${label}: the bad file says ${JSON.stringify(error.split('\n')[0])}; warm-cache.ron keeps running`);
    await shot(page, 'open-bad-file-1280x800.png', label);

    const good = readFileSync(join(dist, 'scenarios', 'density.ron'), 'utf8');
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'my-density.ron', { type: 'text/plain' }));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, good);
    await page.waitForSelector('body[data-scenario="my-density.ron"]', { timeout: 30000 }).catch(() => {});
    const opened = await page.getAttribute('body', 'data-scenario');
    const still = await page.getAttribute('body', 'data-load-error');
    if (opened !== 'my-density.ron' || still) fail(`${label}: after a drop, ${opened} is open (error: ${still})`);
    else pass(`${label}: a dropped my-density.ron opens`);
  }
  await page.close();
}

// 5. The digest of every bundled scenario's event log, computed in the browser.
{
  const label = '?digests';
  const native = new Map(readFileSync(nativeFile, 'utf8').trim().split('\n').map((line) => {
    const [digest, events, file] = line.trim().split(/\s+/);
    return [basename(file), { digest, events: Number(events) }];
  }));
  const page = await open('?digests', [1280, 800], label);
  await page.waitForSelector('body[data-digests]', { timeout: 20 * 60000 });
  const browserDigests = JSON.parse(await page.getAttribute('body', 'data-digests'));
  console.log('\n  scenario                   events  browser ms  event-log digest (SHA-256), browser and desktop');
  for (const row of browserDigests) {
    const n = native.get(row.scenario);
    const same = n && n.digest === row.digest && n.events === row.events;
    console.log(`  ${row.scenario.padEnd(25)} ${String(row.events).padStart(7)}  ${String(Math.round(row.ms)).padStart(10)}  ${row.digest ?? row.error}  ${same ? 'same' : `DIFFERENT: desktop ${n?.digest} (${n?.events} events)`}`);
    if (!same) fail(`${label}: ${row.scenario} differs from the desktop`);
  }
  for (const name of native.keys()) {
    if (!browserDigests.some((r) => r.scenario === name)) fail(`${label}: ${name} has no browser digest`);
  }
  if (browserDigests.length === native.size && !failures.some((f) => f.startsWith(label))) {
    pass(`${label}: all ${native.size} bundled scenarios give the desktop's digest`);
  }
  await page.screenshot({ path: join(outDir, 'digests.png') });
  await page.close();
}
await browser.close();

// 6. Without WebGL2 the page says so.
{
  const label = 'no WebGL2';
  const bare = await launch(['--disable-webgl', '--disable-3d-apis']);
  const page = await bare.newPage({ viewport: { width: 1024, height: 768 } });
  page.on('response', (r) => { if (r.status() >= 400) fail(`${label}: ${r.status()} for ${r.url()}`); });
  await page.goto(base);
  const text = await page.locator('#problem').innerText({ timeout: 10000 }).catch(() => '');
  if (!(await page.locator('#problem').isVisible()) || !text.includes('WebGL2')) fail(`${label}: no message (${text})`);
  else pass(`${label}: "${text.split('\n')[0]}"`);
  await page.screenshot({ path: join(outDir, 'no-webgl2.png') });
  await bare.close();
}
server.close();

if (firstFrames.length) console.log(`\nfirst frame of the default page: ${firstFrames[0]} ms (budget ${FIRST_FRAME_BUDGET_MS} ms)`);
console.log(`${failures.length === 0 ? 'browser test passed' : `browser test FAILED (${failures.length})`}; screenshots in ${outDir}`);
process.exit(failures.length === 0 ? 0 : 1);
