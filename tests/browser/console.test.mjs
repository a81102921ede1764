// The console in a real browser: claim, sign out and in, escaping of stored
// values under the page's CSP, the pages without JavaScript, and no request
// leaving the loopback address.  Screenshots go to build/screenshots/.
//
// usage: node tests/browser/console.test.mjs
// Prints "PASS name" / "FAIL name: why" lines; exits 1 if any failed.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '..', '..');
const version = readFileSync(join(top, 'VERSION'), 'utf8').trim();
const shots = join(top, 'build', 'screenshots');
const PASSWORD = 'harbour lantern copper meadow';
const WRONG = 'harbour lantern copper meadows';
const EVIL = '<script>window.__pwned=1</script><b>x</b>';

let failed = 0;
function pass(name) { console.log(`PASS ${name}`); }
function fail(name, why) {
  failed++;
  console.log(`FAIL ${name}: ${String(why).split('\n')[0]}`);
}
// check NAME FN: run one test; a thrown error or a false result fails it.
async function check(name, fn) {
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

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Start scripts/connector-run; resolves once it prints "Ready.".
function startInstance(root, port) {
  const child = spawn(join(top, 'scripts', 'connector-run'),
    ['--root', root, '--port', String(port), '--workers', '2'],
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
  return { child, ready, output: () => out };
}

function stopInstance(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 15000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

function sql(db, statement, ...params) {
  // Parameters are bound through sqlite3's .parameter command, not spliced.
  const cmds = params.map((p, i) => `.parameter set ?${i + 1} '${p.replace(/'/g, "''")}'`);
  return execFileSync('sqlite3', [db], {
    input: [...cmds, statement, ''].join('\n'),
  }).toString();
}

const root = mkdtempSync(join(tmpdir(), 'connector-browser-'));
const port = await freePort();
const origin = `https://127.0.0.1:${port}`;
const db = join(root, 'var', 'lib', 'connector', 'state.db');
mkdirSync(shots, { recursive: true });

const inst = startInstance(root, port);
let browser = null;
const requests = [];
const consoleMsgs = [];

async function main() {
  let code;
  try {
    code = await inst.ready;
  } catch (e) {
    fail('instance-starts', e.message);
    return;
  }
  if (!code) {
    fail('instance-starts', 'no "Setup code:" line in connector-run output');
    return;
  }
  pass('instance-starts');

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const newContext = async (opts = {}) => {
    const ctx = await browser.newContext({
      ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, ...opts,
    });
    ctx.on('request', (r) => requests.push(r.url()));
    ctx.on('page', (p) => watch(p, opts.javaScriptEnabled === false ? 'nojs' : 'js'));
    return ctx;
  };
  const watch = (p, label) => {
    p.on('console', (m) => consoleMsgs.push({ label, type: m.type(), text: m.text(), url: p.url() }));
    p.on('pageerror', (e) => consoleMsgs.push({ label, type: 'pageerror', text: String(e), url: p.url() }));
  };

  const ctx = await newContext();
  const page = await ctx.newPage();

  // Setup
  const atSetup = await check('root-redirects-to-setup', async () => {
    await page.goto(`${origin}/`);
    const u = new URL(page.url());
    if (u.pathname !== '/setup') return `landed on ${page.url()}`;
    return (await page.locator('h1').textContent()).includes('Claim');
  });
  if (!atSetup) return;
  await page.screenshot({ path: join(shots, 'setup.png') });

  const claimed = await check('setup-claim-lands-on-dashboard', async () => {
    await page.fill('#code', code);
    await page.fill('#password', PASSWORD);
    await page.fill('#password2', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (page.url() !== `${origin}/`) return `landed on ${page.url()}`;
    const h1 = (await page.locator('main h1').textContent()).trim();
    return h1 === 'Dashboard' || `title is ${JSON.stringify(h1)}`;
  });
  if (!claimed) return;
  await page.screenshot({ path: join(shots, 'dashboard.png') });

  await check('header-shows-version-upper-right', async () => {
    const v = page.locator('header .version');
    if (!(await v.isVisible())) return 'version not visible';
    const text = (await v.textContent()).trim();
    if (text !== `Version: ${version}`) return `version reads ${JSON.stringify(text)}`;
    const box = await v.boundingBox();
    if (box.y > 80) return `version is ${box.y}px from the top`;
    if (box.x < 1280 / 2) return `version starts at x=${box.x}, not in the right half`;
    return true;
  });

  // Sign out, wrong password, right password
  await check('sign-out-lands-on-login', async () => {
    await Promise.all([page.waitForNavigation(), page.click('header .signout button')]);
    if (new URL(page.url()).pathname !== '/login') return `landed on ${page.url()}`;
    return (await page.locator('#password').isVisible()) || 'no password field';
  });
  await page.screenshot({ path: join(shots, 'login.png') });

  await check('bad-password-shows-error', async () => {
    await page.fill('#password', WRONG);
    const [resp] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (resp.status() !== 403) return `status ${resp.status()}`;
    if (new URL(page.url()).pathname !== '/login') return `landed on ${page.url()}`;
    const err = page.locator('#password-error');
    if (!(await err.isVisible())) return 'no visible error';
    const t = (await err.textContent()).trim();
    if (t !== 'The password is not right.') return `error reads ${JSON.stringify(t)}`;
    // A password is never sent back to the browser.
    return (await page.inputValue('#password')) === '' || 'password field refilled';
  });
  await page.screenshot({ path: join(shots, 'login-error.png') });

  const signedIn = await check('right-password-lands-on-dashboard', async () => {
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (page.url() !== `${origin}/`) return `landed on ${page.url()}`;
    return (await page.locator('main h1').textContent()).trim() === 'Dashboard';
  });

  // Escaping of a stored value
  if (signedIn) {
    sql(db, "UPDATE settings SET value = ?1 WHERE name = 'name';", EVIL);
    const stored = sql(db, "SELECT value FROM settings WHERE name = 'name';").trim();
    await check('stored-name-is-set-for-escaping-test', async () =>
      stored === EVIL || `stored name is ${JSON.stringify(stored)}`);
    await page.reload();
    await check('name-with-markup-shown-as-text', async () => {
      const t = await page.locator('dd.name').textContent();
      return t === EVIL || `name cell reads ${JSON.stringify(t)}`;
    });
    // Escaped, the name adds no element, so no script: the CSP would block
    // an inline script anyway, which the test below checks on its own.
    await check('name-with-markup-bad-adds-no-element', async () => {
      const n = await page.locator('dd.name b, dd.name script').count();
      if (n !== 0) return `${n} element(s) inside the name cell`;
      const scripts = await page.locator('script').count();
      if (scripts !== 0) return `${scripts} script element(s) on the page`;
      const pwned = await page.evaluate(() => typeof window.__pwned);
      return pwned === 'undefined' || `window.__pwned is ${pwned}`;
    });
  } else {
    fail('name-with-markup-shown-as-text', 'not signed in');
  }

  // The CSP as a second line of defence: an inline script that got into a
  // page (as if escaping had failed) does not run.  The page is the real
  // answer with its real headers, a script added to its body.  A separate
  // context: the violation it provokes is expected, not a page's fault.
  await check('csp-bad-inline-script-in-page-blocked', async () => {
    const run = async (keepCsp) => {
      const c = await browser.newContext({ ignoreHTTPSErrors: true });
      c.on('request', (r) => requests.push(r.url()));
      const seen = [];
      try {
        await c.route(`${origin}/login`, async (route) => {
          const resp = await route.fetch();
          const headers = { ...resp.headers() };
          if (!keepCsp) delete headers['content-security-policy'];
          const body = (await resp.text()).replace('<body>',
            '<body><script>window.__pwned=1</script>');
          await route.fulfill({ response: resp, headers, body });
        });
        const p = await c.newPage();
        p.on('console', (m) => seen.push(m.text()));
        const r = await p.goto(`${origin}/login`);
        const csp = r.headers()['content-security-policy'] || '';
        const injected = await p.locator('body > script').count();
        const pwned = await p.evaluate(() => typeof window.__pwned);
        return { csp, injected, pwned, seen };
      } finally {
        await c.close();
      }
    };
    // Without the CSP header the injected script runs: the check can fail.
    const bare = await run(false);
    if (bare.injected !== 1) return 'the script was not injected';
    if (bare.pwned !== 'number') return `without the CSP the script did not run (${bare.pwned})`;
    const real = await run(true);
    if (!/script-src|default-src/.test(real.csp)) return `CSP ${JSON.stringify(real.csp)}`;
    if (real.injected !== 1) return 'the script was not injected';
    if (real.pwned !== 'undefined') return `the inline script ran under the CSP (${real.pwned})`;
    return real.seen.some((t) => /Content Security Policy/i.test(t)) ||
      'no CSP violation reported for the inline script';
  });

  // Without JavaScript: sign in and see the dashboard.
  await check('no-javascript-login-and-dashboard', async () => {
    const nctx = await newContext({ javaScriptEnabled: false });
    try {
      const p = await nctx.newPage();
      await p.goto(`${origin}/`);
      if (new URL(p.url()).pathname !== '/login') return `/ landed on ${p.url()}`;
      await p.fill('#password', PASSWORD);
      await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
      if (p.url() !== `${origin}/`) return `login landed on ${p.url()}`;
      const h1 = (await p.locator('main h1').textContent()).trim();
      if (h1 !== 'Dashboard') return `title is ${JSON.stringify(h1)}`;
      const v = (await p.locator('header .version').textContent()).trim();
      if (v !== `Version: ${version}`) return `version reads ${JSON.stringify(v)}`;
      // Sign out works too (a plain form POST).
      await Promise.all([p.waitForNavigation(), p.click('header .signout button')]);
      return new URL(p.url()).pathname === '/login' || `sign out landed on ${p.url()}`;
    } finally {
      await nctx.close();
    }
  });

  // Narrow window, for looking at.
  await page.setViewportSize({ width: 420, height: 800 });
  await page.screenshot({ path: join(shots, 'dashboard-narrow.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Locked console: set the lock in the database, then the right password
  // is refused with the lockout notice.
  await check('locked-console-bad-refuses-right-password', async () => {
    await Promise.all([page.waitForNavigation(), page.click('header .signout button')]);
    sql(db, "UPDATE admin SET locked = 1, failed_count = 20, locked_at = strftime('%s','now') WHERE id = 1;");
    await page.fill('#password', PASSWORD);
    const [resp] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (resp.status() !== 403) return `status ${resp.status()}`;
    const notice = page.locator('.notice.error');
    if (!(await notice.isVisible())) return 'no lockout notice';
    return (await notice.textContent()).includes('locked') || 'notice does not say locked';
  });
  await page.screenshot({ path: join(shots, 'locked.png') });
  await ctx.close();
}

let crashed = null;
try {
  await main();
} catch (e) {
  crashed = e;
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopInstance(inst.child);
}
if (crashed) fail('browser-run', crashed.stack || crashed);

// After the run: what the pages logged and where the browser went.
const csp = consoleMsgs.filter((m) => /Content Security Policy|Refused to/i.test(m.text));
for (const m of consoleMsgs)
  console.error(`console [${m.label}] ${m.type} at ${m.url}: ${m.text}`);
if (requests.length === 0) fail('no-request-leaves-loopback', 'no request recorded');
else {
  const away = requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('about:')) return false;
    try { return new URL(u).hostname !== '127.0.0.1'; } catch { return true; }
  });
  if (away.length) fail('no-request-leaves-loopback', `${away.length} request(s), first ${away[0]}`);
  else pass('no-request-leaves-loopback');
}
if (csp.length) fail('no-csp-violations', `${csp.length} message(s), first: ${csp[0].text}`);
else if (consoleMsgs.length === 0 && requests.length === 0) fail('no-csp-violations', 'nothing was loaded');
else pass('no-csp-violations');

if (failed === 0) rmSync(root, { recursive: true, force: true });
else console.error(`instance root kept for inspection: ${root}`);
process.exit(failed ? 1 : 0);
