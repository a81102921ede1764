// common.mjs — what the browser tests share: the PASS/FAIL lines and the
// run around a test's main, a free port, a console instance started with
// scripts/connector-run and its setup code, the browser, the screenshot
// directory, claiming (a page on a claimed console) and signing in, and
// what the pages logged.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const results = { failed: 0 };
export function pass(name) { console.log(`PASS ${name}`); }
export function fail(name, why) {
  results.failed++;
  console.log(`FAIL ${name}: ${String(why).split('\n')[0]}`);
}
// check NAME FN: run one test; a thrown error or a result other than true
// fails it (a string result says why).
export async function check(name, fn) {
  try {
    const r = await fn();
    if (r === true) pass(name);
    else fail(name, r === false || r === undefined ? 'check did not hold' : r);
    return r === true;
  } catch (e) {
    fail(name, e && e.message ? e.message : e);
    return false;
  }
}

// runMain MAIN CLEANUP [NAME]: await main(), then cleanup() whatever
// happened; an exception out of main fails the test NAME.
export async function runMain(main, cleanup, name = 'browser-run') {
  let crashed = false;
  let why;
  try {
    await main();
  } catch (e) {
    crashed = true;
    why = e && e.stack ? e.stack : e;
  } finally {
    await cleanup();
  }
  if (crashed) fail(name, why);
}

// removeRoot ROOT: remove an instance's root when every test passed;
// otherwise keep it and say where it is.
export function removeRoot(root) {
  if (results.failed === 0) rmSync(root, { recursive: true, force: true });
  else console.error(`instance root kept for inspection: ${root}`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Start scripts/connector-run; ready resolves to the setup code once it
// prints "Ready.".  origin is its address, db its state database.
export function startInstance(root, port, workers = 2) {
  const child = spawn(join(top, 'scripts', 'connector-run'),
    ['--root', root, '--port', String(port), '--workers', String(workers)],
    { cwd: top, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Ready." within 30 s: ${out}`)), 30000);
    const onData = (d) => {
      out += d.toString();
      if (/^Ready\./m.test(out)) {
        clearTimeout(timer);
        const m = out.match(/^Setup code:\s+(\S+)/m);
        resolve(m ? m[1] : null);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`connector-run exited (${code}): ${out}`));
    });
  });
  return {
    child, ready, output: () => out,
    origin: `https://127.0.0.1:${port}`,
    db: join(root, 'var', 'lib', 'connector', 'state.db'),
  };
}

export function stopInstance(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 15000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// sql DB STATEMENT PARAMS...: run statement (one or several) on the
// database; resolves to what sqlite3 printed.  Parameters are bound
// through sqlite3's .parameter command, not spliced.
export function sql(db, statement, ...params) {
  const cmds = params.map((p, i) => `.parameter set ?${i + 1} '${p.replace(/'/g, "''")}'`);
  return execFileSync('sqlite3', [db], {
    input: [...cmds, statement, ''].join('\n'),
  }).toString();
}

// The system's chromium, headless, with nothing of its own going out.
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Where screenshots go: $SCREENSHOT_DIR, else build/screenshots (or, with
// temporary, a new temporary directory).  Made if it is not there.
export function screenshotDir({ temporary = false } = {}) {
  const dir = process.env.SCREENSHOT_DIR || (temporary
    ? mkdtempSync(join(tmpdir(), 'connector-shots-')) : join(top, 'build', 'screenshots'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

// newContext BROWSER [OPTS] [WATCH]: a browser context for the console's
// self-signed certificate in a 1280×800 window (opts add to or override
// that).  With watch.requests, the URL of every request it makes goes onto
// that list; with watch.consoleMsgs, what each of its pages logs goes there
// (see collectConsole), with watch.label as the label when given.
export async function newContext(browser, opts = {}, watch = {}) {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, ...opts,
  });
  if (watch.requests) ctx.on('request', (r) => watch.requests.push(r.url()));
  if (watch.consoleMsgs)
    ctx.on('page', (p) => collectConsole(p, watch.consoleMsgs,
      watch.label === undefined ? {} : { label: watch.label }));
  return ctx;
}

// navigation PAGE ACTION: run action (a click) and wait for the navigation
// it starts; resolves to the answer of the new page.
export function navigation(page, action) {
  return Promise.all([page.waitForNavigation(), action()]).then(([r]) => r);
}

// claim PAGE CODE PASSWORD: on the setup page, claim the console with its
// setup code and a new password; resolves to the answer.
export async function claim(page, code, password) {
  await page.fill('#code', code);
  await page.fill('#password', password);
  await page.fill('#password2', password);
  return navigation(page, () => page.click('button[type=submit]'));
}

// setupCode INST [NAME]: wait for a console started by startInstance (or
// any child with ready and output()) to say "Ready.", then read its setup
// code from what it printed.  Passes the test NAME (instance-starts) and
// resolves to the code; or fails it, saying why, and resolves to null.
export async function setupCode(inst, name = 'instance-starts') {
  try {
    await inst.ready;
  } catch (e) {
    fail(name, e.message);
    return null;
  }
  const m = inst.output().match(/^Setup code:\s+(\S+)/m);
  if (!m) {
    fail(name, 'no "Setup code:" line in connector-run output');
    return null;
  }
  pass(name);
  return m[1];
}

// claimedPage BROWSER ORIGIN CODE PASSWORD [WATCH]: a new context of
// browser (watch as for newContext) and a page in it, the console at origin
// claimed there with its setup code and password.  Resolves to { ctx, page }
// with the page on the dashboard; or fails the test "claim", saying where
// the claim landed, and resolves to null.
export async function claimedPage(browser, origin, code, password, watch = {}) {
  const ctx = await newContext(browser, {}, watch);
  const page = await ctx.newPage();
  await page.goto(`${origin}/setup`);
  await claim(page, code, password);
  if (page.url() !== `${origin}/`) {
    fail('claim', `landed on ${page.url()}`);
    return null;
  }
  return { ctx, page };
}

// signIn PAGE PASSWORD: on the sign-in page, sign in; resolves to the answer.
export async function signIn(page, password) {
  await page.fill('#password', password);
  return navigation(page, () => page.click('button[type=submit]'));
}

// collectConsole PAGE MSGS [EXTRA]: push what page logs and every error
// thrown in it onto msgs, as { type, text, url, source } with extra's fields.
function collectConsole(page, msgs, extra = {}) {
  page.on('console', (m) => msgs.push({
    ...extra, type: m.type(), text: m.text(), url: page.url(), source: m.location().url,
  }));
  page.on('pageerror', (e) => msgs.push({ ...extra, type: 'pageerror', text: String(e), url: page.url() }));
}

// Whether a message collectConsole kept reports a Content Security Policy
// violation (the browser refused something the page asked for).
export function isCspViolation(m) {
  return /Content Security Policy|Refused to/i.test(m.text);
}
