// The registration wizard in a real browser, on a fresh console in test mode
// against the vCenter double and the AWS double: claim, dashboard, every
// step typed and clicked as an administrator would (with one wrong vCenter
// password and one broken portal file), register, rotate the encryption
// key, unregister.  Every page is checked for its heading and marked step,
// scripts, secrets, tab order and where the browser went; a full-page
// screenshot of each step goes to $SCREENSHOT_DIR (default: a new
// temporary directory, printed at the end).
//
// usage: node tests/browser/register.test.mjs   (after make all)
// Prints "PASS name" / "FAIL name: why" lines; exits 1 if any failed.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  top, results, pass, fail, check, runMain, removeRoot, freePort,
  launchBrowser, screenshotDir, newContext, navigation, setupCode, isCspViolation,
} from './common.mjs';

const started = Date.now();

const PASSWORD = 'harbour lantern copper meadow';
const VC_USER = 'CORP\\svc-connector';
const VC_PASSWORD = 'Vc-Service-Pass-7';
const VC_WRONG = 'Vc-Service-Pass-8';
const AWS_KEY = 'AKIATESTCONNECTOR001';
const AWS_SECRET = 'aws-test-secret-key-0001+/x';
const AMP_KEY = 'AMPKEYTESTCONNECTOR1';
const AMP_SECRET = 'amp-test-secret-0001-abcdef';
const REGION = 'eu-west-1';
const EXTENSION_KEY = 'connector.console';
const SECRETS = { PASSWORD, VC_PASSWORD, VC_WRONG, AWS_SECRET, AMP_SECRET };

// ---- processes: each in its own process group, stopped by that group ----

const groups = [];

// Start cmd in a new process group; resolves with the first stdout line
// matching want (a RegExp), or rejects on exit or after 60 s.
function startGroup(name, cmd, args, env, want) {
  const child = spawn(cmd, args, {
    cwd: top, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.push({ name, child });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within 60 s: ${out}`)), 60000);
    const onData = (d) => {
      out += d.toString();
      const m = out.match(want);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? sig}): ${out.slice(-500)}`));
    });
  });
  ready.catch(() => {});
  return { child, ready, output: () => out };
}

function groupAlive(pid) {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

// SIGTERM the group of child, wait for its leader and then the rest of
// the group (up to 15 s), SIGKILL what is left.
async function stopGroup(child) {
  if (!child || child.pid === undefined) return;
  const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  const leaderDone = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve() : new Promise((r) => child.once('exit', r));
  kill('SIGTERM');
  const end = Date.now() + 15000;
  await Promise.race([leaderDone, new Promise((r) => setTimeout(r, 15000))]);
  while (groupAlive(child.pid) && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(child.pid)) kill('SIGKILL');
}

let stopping = null;
function stopAll() {
  if (!stopping)
    stopping = Promise.all(groups.map((g) => stopGroup(g.child)));
  return stopping;
}
process.on('exit', () => {
  for (const g of groups) if (groupAlive(g.child.pid)) {
    try { process.kill(-g.child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.log(`FAIL interrupted: ${sig}`);
    if (browser) await browser.close().catch(() => {});
    await stopAll();
    process.exit(1);
  });
}

// ---- the doubles' own views of what happened ----

function getJson(url, ca) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, timeout: 10000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try { resolve(JSON.parse(body)); } catch (e) { reject(e); }
      });
    }).on('error', reject);
  });
}

// POST one SOAP body to the vCenter double (its own certificate is the
// only one trusted); resolves with { status, body, cookie }.
function soap(vc, body, cookie) {
  const u = new URL(vc.url);
  const data = '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ' +
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:vim25">' +
    `<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      ca: readFileSync(vc.cert), checkServerIdentity: () => undefined, timeout: 10000,
      headers: {
        'Content-Type': 'text/xml; charset=utf-8', SOAPAction: 'urn:vim25/8.0',
        ...(cookie ? { Cookie: cookie } : {}),
      },
    }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve({
        status: res.statusCode, body: b,
        cookie: (res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).join('; '),
      }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const xmlEsc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

// Whether vCenter (the double) has the connector's plugin.
async function pluginInVcenter(vc) {
  const login = await soap(vc, '<urn:Login><urn:_this type="SessionManager">SessionManager</urn:_this>' +
    `<urn:userName>${xmlEsc(VC_USER)}</urn:userName><urn:password>${xmlEsc(VC_PASSWORD)}</urn:password></urn:Login>`);
  if (login.status !== 200) throw new Error(`vCenter double Login: ${login.status}`);
  const find = await soap(vc, '<urn:FindExtension><urn:_this type="ExtensionManager">ExtensionManager</urn:_this>' +
    `<urn:extensionKey>${EXTENSION_KEY}</urn:extensionKey></urn:FindExtension>`, login.cookie);
  if (find.status !== 200) throw new Error(`vCenter double FindExtension: ${find.status}`);
  await soap(vc, '<urn:Logout><urn:_this type="SessionManager">SessionManager</urn:_this></urn:Logout>', login.cookie);
  return /<returnval\b/.test(find.body);
}

// ---- the run ----

const root = mkdtempSync(join(tmpdir(), 'connector-browser-reg-'));
const shots = screenshotDir({ temporary: true });
const files = join(root, 'upload');
mkdirSync(files);
let browser = null;
const requests = [];
const consoleMsgs = [];
const pagesSeen = [];
// Form answers that are meant to be 400 (a field in error): Chromium logs
// their status as a console error, which is the page working as designed.
const expected400 = new Set();
const secretHits = [];

async function main() {
  // The doubles, then the console in test mode pointed at the AWS double.
  const vcBin = execFileSync(join(top, 'tests', 'peers', 'vcenter', 'build'),
    { cwd: top, stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split('\n').pop();
  const vcProc = startGroup('vCenter double', vcBin,
    ['--port', '0', '--user', VC_USER, '--password', VC_PASSWORD, '--vms', '3', '--users', '2'],
    process.env, /^(\{.*\})$/m);
  const awsProc = startGroup('AWS double', join(top, 'tests', 'peers', 'aws', 'run'),
    ['--credentials', `${AWS_KEY}:${AWS_SECRET}`, '--credentials', `${AMP_KEY}:${AMP_SECRET}`],
    process.env, /^(\{.*\})$/m);
  let vc, aws;
  try {
    vc = JSON.parse((await vcProc.ready)[1]);
    aws = JSON.parse((await awsProc.ready)[1]);
  } catch (e) {
    fail('doubles-start', e.message);
    return;
  }
  pass('doubles-start');
  const vcHost = new URL(vc.url).host;
  const awsCa = readFileSync(aws.ca);
  const portalState = () => getJson(aws.control, awsCa);

  const port = await freePort();
  const origin = `https://127.0.0.1:${port}`;
  const inst = startGroup('console', join(top, 'scripts', 'connector-run'),
    ['--root', root, '--port', String(port), '--workers', '2', '--allow-loopback-peers'],
    { ...process.env, AWS_ENDPOINT_URL: aws.url, AWS_CA_BUNDLE: aws.ca },
    /^Ready\./m);
  const code = await setupCode(inst, 'console-starts');
  if (!code) return;

  // The portal file, good and cut short (as a broken download would be).
  const good = JSON.stringify({
    format: 'connector-portal-config', version: 1, key_name: 'connector key',
    key_id: AMP_KEY, secret: AMP_SECRET, endpoint: aws.url,
  });
  const goodFile = join(files, 'connector-config.json');
  const brokenFile = join(files, 'connector-config (1).json');
  writeFileSync(goodFile, good);
  writeFileSync(brokenFile, good.slice(0, good.indexOf('"secret"')));

  browser = await launchBrowser();
  const ctx = await newContext(browser, {}, { requests, consoleMsgs });
  const page = await ctx.newPage();

  const path = () => new URL(page.url()).pathname;
  const text = async (sel) => ((await page.locator(sel).first().textContent()) || '').trim();
  const go = (fn) => navigation(page, fn);
  const typeInto = async (sel, value) => {
    const f = page.locator(sel);
    await f.click();
    await f.pressSequentially(value);
  };
  let shotNo = 0;
  const shot = async (name) => {
    shotNo++;
    const file = join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };

  // What every page must hold: no script, no inline handler, no secret.
  const pageChecks = async (label) => {
    const html = await page.content();
    pagesSeen.push(label);
    for (const [k, v] of Object.entries(SECRETS))
      if (html.includes(v)) secretHits.push(`${k} in ${label}`);
    const scripts = await page.locator('script').count();
    const handlers = await page.locator('body *').evaluateAll((els) =>
      els.filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length);
    if (scripts !== 0 || handlers !== 0)
      return `${scripts} <script> element(s), ${handlers} element(s) with on* handlers`;
    const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    return w[0] <= w[1] || `the page is ${w[0]}px wide in a ${w[1]}px window`;
  };

  // From the page as it opened, Tab reaches the primary button after every
  // field of its form, and the button shows a focus outline.
  const tabReaches = async (sel) => {
    const seen = [];
    const fields = await page.locator(sel).evaluate((b) => {
      const f = b.form;
      if (!f) return [];
      return [...f.elements].filter((e) => e.type !== 'hidden' && !e.disabled &&
        e.matches('input, select, textarea') && e.getClientRects().length).map((e) => e.id);
    });
    const first = await page.evaluate(() => document.activeElement && document.activeElement.id);
    if (first) seen.push(first);
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const r = await page.evaluate((s) => {
        const a = document.activeElement;
        const d = !a || a === document.body ? 'body' : a.id || `${a.tagName.toLowerCase()}:${(a.textContent || '').trim().slice(0, 24)}`;
        if (a !== document.querySelector(s)) return { d };
        const cs = getComputedStyle(a);
        return { d, hit: true, outline: `${cs.outlineStyle} ${cs.outlineWidth}` };
      }, sel);
      seen.push(r.d);
      if (r.hit) {
        const missed = fields.filter((id) => !seen.includes(id));
        if (missed.length) return `reached before the field(s) ${missed.join(', ')}: ${seen.join(' > ')}`;
        if (/^none|\b0px$/.test(r.outline)) return `no focus outline on the button (${r.outline})`;
        return true;
      }
    }
    return `not reached in 60 tabs: ${seen.join(' > ')}`;
  };

  // A wizard step: its path, heading, the step list marking it.
  const STEP_LABELS = ['vCenter', 'Proxy', 'AWS', 'Portal key', 'Review'];
  const atStep = async (slug, { h2, step, primary = 'main button.primary', shotName = slug }) => {
    await check(`${slug}-page-heading-and-current-step`, async () => {
      if (path() !== `/register/${slug}`) return `at ${page.url()}`;
      const h1 = await text('main h1');
      if (h1 !== 'Register the connector') return `h1 reads ${JSON.stringify(h1)}`;
      const h = await text('main section.panel h2');
      if (h !== h2) return `h2 reads ${JSON.stringify(h)}`;
      const items = page.locator('ol.steps > li');
      const n = await items.count();
      if (n !== STEP_LABELS.length) return `${n} steps listed`;
      const current = page.locator('ol.steps > li[aria-current="step"]');
      if ((await current.count()) !== 1) return `${await current.count()} steps with aria-current="step"`;
      const ct = (await current.textContent()).replace(/\s+/g, ' ').trim();
      if (!ct.endsWith(step)) return `current step reads ${JSON.stringify(ct)}, want ${step}`;
      const idx = STEP_LABELS.indexOf(step);
      for (let i = 0; i < idx; i++) {
        const cls = await items.nth(i).getAttribute('class');
        if (cls !== 'done') return `step ${STEP_LABELS[i]} before the current one is ${cls}`;
      }
      return true;
    });
    await check(`${slug}-page-no-script`, () => pageChecks(slug));
    await shot(shotName);
    await check(`${slug}-tab-reaches-primary-button`, () => tabReaches(primary));
  };

  // The error of a field: shown right under it, in words, the field marked
  // invalid, described by it, and focused.
  const fieldError = async (id, words) => {
    const input = page.locator(`#${id}`);
    const err = page.locator(`#${id}-error`);
    if (!(await err.isVisible())) return `no visible #${id}-error`;
    const t = (await err.textContent()).trim();
    if (!words.test(t)) return `error reads ${JSON.stringify(t)}`;
    if ((await input.getAttribute('aria-describedby')) !== `${id}-error`)
      return `aria-describedby is ${await input.getAttribute('aria-describedby')}`;
    const sameField = await input.evaluate((e, eid) => {
      const f = e.closest('.field');
      return !!f && f.classList.contains('invalid') && f.contains(document.getElementById(eid));
    }, `${id}-error`);
    if (!sameField) return 'the error is not in the field\'s own .field.invalid';
    const ib = await input.boundingBox();
    const eb = await err.boundingBox();
    const gap = eb.y - (ib.y + ib.height);
    if (gap < 0 || gap > 24 || Math.abs(eb.x - ib.x) > 2)
      return `error at (${eb.x},${eb.y}) is not right under the field (${ib.x},${ib.y + ib.height})`;
    let focused = null;
    for (let i = 0; i < 40 && focused !== id; i++) {
      focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
      if (focused !== id) await page.waitForTimeout(50);
    }
    if (focused !== id) return `focus is on ${JSON.stringify(focused)}, not #${id}`;
    const notice = page.locator('main .notice.error[role="alert"]');
    if (!(await notice.isVisible())) return 'no "Not saved." notice above the form';
    return true;
  };

  // ---- claim, dashboard ----
  const claimed = await check('claim-lands-on-dashboard', async () => {
    await page.goto(`${origin}/`);
    if (path() !== '/setup') return `/ landed on ${page.url()}`;
    await typeInto('#code', code);
    await typeInto('#password', PASSWORD);
    await typeInto('#password2', PASSWORD);
    await go(() => page.click('main button.primary'));
    if (path() !== '/') return `landed on ${page.url()}`;
    return (await text('main h1')) === 'Dashboard';
  });
  if (!claimed) return;
  await check('dashboard-not-registered-in-test-mode', async () => {
    const s = await text('#registration .state');
    if (!s.includes('Not registered')) return `registration reads ${JSON.stringify(s)}`;
    return (await page.locator('main .notice.warning').textContent()).includes('Test mode') ||
      'no test mode notice';
  });
  await check('dashboard-page-no-script', () => pageChecks('dashboard'));
  await shot('dashboard');
  await check('dashboard-tab-reaches-register', () => tabReaches('main a.primary-link'));

  // ---- vCenter ----
  await go(() => page.getByRole('link', { name: 'Register the Connector' }).click());
  await atStep('vcenter', { h2: '1a. vCenter', step: 'vCenter' });
  await typeInto('#vcenter_host', vcHost);
  await go(() => page.getByRole('button', { name: 'Connect and show the certificate' }).click());

  // ---- trust ----
  await atStep('trust', { h2: '1b. vCenter certificate', step: 'vCenter' });
  await check('trust-shows-the-double-thumbprint', async () => {
    const norm = (s) => s.replace(/[^0-9a-f]/gi, '').toLowerCase();
    const shown = await text('#thumbprint');
    return norm(shown) === norm(vc.thumbprint) || `shown ${shown}, the double has ${vc.thumbprint}`;
  });
  await go(() => page.getByRole('button', { name: 'Trust this certificate' }).click());

  // ---- credentials, first with a wrong password ----
  await atStep('credentials', { h2: '1c. vCenter service account', step: 'vCenter' });
  await typeInto('#vcenter_user', VC_USER);
  await typeInto('#vcenter_password', VC_WRONG);
  const badCred = await go(() => page.getByRole('button', { name: 'Sign in to vCenter and continue' }).click());
  await check('credentials-bad-password-error-beside-field', async () => {
    if (badCred.status() !== 400) return `status ${badCred.status()}`;
    expected400.add(badCred.url());
    if (path() !== '/register/credentials') return `at ${page.url()}`;
    return fieldError('vcenter_password', /^vCenter refused this user name and password\.$/);
  });
  await check('credentials-bad-password-keeps-user-not-password', async () => {
    const u = await page.inputValue('#vcenter_user');
    if (u !== VC_USER) return `user field holds ${JSON.stringify(u)}`;
    return (await page.inputValue('#vcenter_password')) === '' || 'password field refilled';
  });
  await check('credentials-error-page-no-script', () => pageChecks('credentials error'));
  await shot('credentials-error');
  await typeInto('#vcenter_password', VC_PASSWORD);
  await go(() => page.getByRole('button', { name: 'Sign in to vCenter and continue' }).click());

  // ---- proxy ----
  await atStep('proxy', { h2: '2. Network proxy', step: 'Proxy' });
  await go(() => page.getByRole('button', { name: 'No proxy' }).click());

  // ---- AWS ----
  await atStep('aws', { h2: '3. AWS', step: 'AWS' });
  await page.locator('#region').selectOption(REGION);
  await typeInto('#access_key_id', AWS_KEY);
  await typeInto('#secret_access_key', AWS_SECRET);
  await go(() => page.getByRole('button', { name: 'Check with AWS and continue' }).click());

  // ---- portal key, first a broken file ----
  await atStep('portal', { h2: '4. Management portal key', step: 'Portal key' });
  await check('portal-says-aws-accepted-the-keys', async () => {
    const s = (await text('main .state.ok')).replace(/\s+/g, ' ');
    return /AWS accepted the keys: account \d{12}, arn:/.test(s) || `reads ${JSON.stringify(s)}`;
  });
  await page.locator('#portal_config').setInputFiles(brokenFile);
  const badFile = await go(() => page.getByRole('button', { name: 'Upload and continue' }).click());
  await check('portal-bad-file-error-beside-field', async () => {
    if (badFile.status() !== 400) return `status ${badFile.status()}`;
    expected400.add(badFile.url());
    if (path() !== '/register/portal') return `at ${page.url()}`;
    return fieldError('portal_config', /^The file is not valid JSON/);
  });
  await check('portal-error-page-no-script', () => pageChecks('portal error'));
  await shot('portal-error');
  await page.locator('#portal_config').setInputFiles(goodFile);
  await go(() => page.getByRole('button', { name: 'Upload and continue' }).click());

  // ---- review, register ----
  await atStep('review', { h2: '5. Review and register', step: 'Review' });
  await check('review-shows-what-was-entered', async () => {
    const facts = (await page.locator('main dl.facts').textContent()).replace(/\s+/g, ' ');
    for (const want of [new URL(vc.url).hostname, VC_USER, REGION, AWS_KEY, AMP_KEY, 'None'])
      if (!facts.includes(want)) return `no ${JSON.stringify(want)} in ${JSON.stringify(facts)}`;
    return true;
  });
  await page.setViewportSize({ width: 400, height: 800 });
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await check('review-narrow-no-sideways-scroll', async () => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    return w <= 400 || `the page is ${w}px wide in a 400px window`;
  });
  await shot('review-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
  await go(() => page.getByRole('button', { name: 'Register', exact: true }).click());
  await check('register-lands-on-dashboard-registered', async () => {
    if (path() !== '/') return `at ${page.url()}`;
    const s = await text('#registration .state');
    return (s.startsWith('OK') && s.includes(REGION)) || `registration reads ${JSON.stringify(s)}`;
  });
  await check('registered-page-no-script', () => pageChecks('dashboard registered'));
  await check('registered-with-vcenter-and-portal', async () => {
    if (!(await pluginInVcenter(vc))) return 'the plugin is not in vCenter';
    const st = await portalState();
    return st.registrations.length === 1 || `${st.registrations.length} portal registrations`;
  });
  await shot('dashboard-registered');

  // ---- keys: rotate the encryption key ----
  await go(() => page.locator('nav.side').getByRole('link', { name: 'Keys' }).click());
  const keyBefore = await text('#encryption dl.facts dd code');
  await check('keys-page', async () => {
    if (path() !== '/keys') return `at ${page.url()}`;
    if ((await text('main h1')) !== 'Keys') return 'no Keys heading';
    if (!(await page.locator('nav.side a[aria-current="page"]').textContent()).includes('Keys'))
      return 'Keys not marked in the navigation';
    return /^[0-9a-f]{6,}$/i.test(keyBefore) || `key in use reads ${JSON.stringify(keyBefore)}`;
  });
  await check('keys-page-no-script', () => pageChecks('keys'));
  await shot('keys');
  await check('keys-tab-reaches-rotate', () => tabReaches('#encryption button.primary'));
  await typeInto('#password', PASSWORD);
  await go(() => page.locator('#encryption').getByRole('button', { name: 'Rotate' }).click());
  await check('keys-rotated-with-password', async () => {
    if (path() !== '/keys') return `at ${page.url()}`;
    const n = await text('#notice');
    if (!n.startsWith('Rotated.')) return `notice reads ${JSON.stringify(n)}`;
    const after = await text('#encryption dl.facts dd code');
    return (after !== keyBefore && n.includes(after)) || `key ${keyBefore} → ${after}`;
  });
  await check('keys-rotated-page-no-script', () => pageChecks('keys rotated'));
  await shot('keys-rotated');

  // ---- unregister ----
  await go(() => page.locator('nav.side').getByRole('link', { name: 'Dashboard' }).click());
  await go(() => page.getByRole('link', { name: 'Unregister the Connector' }).click());
  await check('unregister-page', async () => {
    if (path() !== '/unregister') return `at ${page.url()}`;
    const h1 = await text('main h1');
    if (h1 !== 'Unregister the connector') return `h1 reads ${JSON.stringify(h1)}`;
    return (await text('main .panel')).includes(`vCenter ${new URL(vc.url).hostname}`) ||
      'the page does not name the vCenter';
  });
  await check('unregister-page-no-script', () => pageChecks('unregister'));
  await shot('unregister');
  await check('unregister-tab-reaches-button', () => tabReaches('main button.danger'));
  await typeInto('#vcenter_user', VC_USER);
  await typeInto('#vcenter_password', VC_PASSWORD);
  await go(() => page.getByRole('button', { name: 'Unregister', exact: true }).click());
  await check('unregister-lands-on-dashboard-not-registered', async () => {
    if (path() !== '/') return `at ${page.url()}: ${await text('main')}`;
    const s = await text('#registration .state');
    return s.includes('Not registered') || `registration reads ${JSON.stringify(s)}`;
  });
  await check('unregistered-from-vcenter-and-portal', async () => {
    if (await pluginInVcenter(vc)) return 'the plugin is still in vCenter';
    const st = await portalState();
    if (st.registrations.length !== 0) return `${st.registrations.length} portal registrations`;
    return st.deregistrations.length === 1 || `${st.deregistrations.length} deregistrations`;
  });
  await check('unregistered-page-no-script', () => pageChecks('dashboard unregistered'));
  await shot('dashboard-unregistered');
  await ctx.close();

  // After the run: secrets, what the pages logged, where the browser went.
  if (pagesSeen.length < 10) fail('no-secret-in-any-page', `only ${pagesSeen.length} pages seen`);
  else if (secretHits.length) fail('no-secret-in-any-page', secretHits.join('; '));
  else pass('no-secret-in-any-page');
  for (const m of consoleMsgs)
    console.error(`console ${m.type} at ${m.url}: ${m.text}`);
  const bad = consoleMsgs.filter((m) => (m.type === 'error' || m.type === 'pageerror' ||
    isCspViolation(m)) &&
    !(m.type === 'error' && expected400.has(m.source) &&
      m.text.startsWith('Failed to load resource: the server responded with a status of 400')));
  if (bad.length) fail('no-console-errors-or-csp-violations', `${bad.length} message(s), first: ${bad[0].text}`);
  else pass('no-console-errors-or-csp-violations');
  const away = requests.filter((u) => {
    if (u.startsWith('data:') || u.startsWith('about:')) return false;
    try { return new URL(u).origin !== origin; } catch { return true; }
  });
  if (requests.length < 20) fail('no-request-leaves-console-origin', `only ${requests.length} requests`);
  else if (away.length) fail('no-request-leaves-console-origin', `${away.length} request(s), first ${away[0]}`);
  else pass('no-request-leaves-console-origin');
}

// The whole run has a time limit, so a hang still stops everything.
const watchdog = setTimeout(async () => {
  fail('run-time', 'the run took more than 150 s');
  if (browser) await browser.close().catch(() => {});
  await stopAll();
  process.exit(1);
}, 150000);
await runMain(main, async () => {
  if (browser) await browser.close().catch(() => {});
  await stopAll();
  clearTimeout(watchdog);
});
console.error(`screenshots in ${shots}`);
console.error(`run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
removeRoot(root);
process.exit(results.failed ? 1 : 0);
