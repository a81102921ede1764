// The Users page in a real browser: the navigation link, a list of a few
// hundred vCenter users and groups in pages of 100, the filter (typed into
// the form, kept across pages, its '%' a plain character, markup in a name
// shown as text), the page without JavaScript, and the state of the last
// enumeration, OK and failed.  The list is written into the instance's
// state.db as the UserProvider job leaves it.  Screenshots go to
// $SCREENSHOT_DIR (default build/screenshots; users*.png).
//
// usage: node tests/browser/users.test.mjs
// Prints "PASS name" / "FAIL name: why" lines; exits 1 if any failed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  results, pass, fail, check, runMain, removeRoot, freePort, startInstance, stopInstance,
  sql, launchBrowser, screenshotDir, newContext, navigation, setupCode, claimedPage,
  isCspViolation,
} from './common.mjs';

const shots = screenshotDir();
const PASSWORD = 'orchard kettle granite ribbon';
const EVIL = '<b>bold</b><img src=x>';

// The list as an enumeration leaves it: 240 users, some groups, odd names.
function fillList(db, now) {
  const rows = [];
  for (let i = 1; i <= 240; i++)
    rows.push(`('vsphere.local', 'user${i}', 'Directory User ${i}', 0, ${now - 86400}, ${now}, ${now - 86400})`);
  for (const [p, f, g] of [['ops-team', 'Operations', 1], ['admins', 'Administrators', 1],
    ['100%_real', 'Percent Person', 0], ['markup', EVIL, 0], ["o'neil", 'Zoë O\'Neil', 0]])
    rows.push(`('vsphere.local', '${p.replace(/'/g, "''")}', '${f.replace(/'/g, "''")}', ${g}, ${now - 3600}, ${now}, ${now - 3600})`);
  sql(db, `BEGIN; DELETE FROM vcenter_users;
INSERT INTO vcenter_users (domain, principal, full_name, is_group, first_seen, last_seen, changed_at) VALUES
${rows.join(',\n')};
INSERT INTO settings (name, value) VALUES ('userprovider.listed_at', '${now}')
  ON CONFLICT (name) DO UPDATE SET value = excluded.value;
INSERT INTO jobs (job, started_at, ended_at, outcome, counts) VALUES
  ('userprovider', ${now - 5}, ${now}, 'ok', '{"added":245,"changed":0,"removed":0,"users":243,"groups":2,"searches":1}');
COMMIT;`);
}

const root = mkdtempSync(join(tmpdir(), 'connector-users-'));
const inst = startInstance(root, await freePort(), 1);
const { origin, db } = inst;
let browser = null;
const consoleMsgs = [];

const rowNames = (page) => page.locator('#list tbody tr td:first-child').allTextContents();

async function main() {
  const code = await setupCode(inst);
  if (!code) return;
  browser = await launchBrowser();
  const claimed = await claimedPage(browser, origin, code, PASSWORD, { consoleMsgs });
  if (!claimed) return;
  const { ctx, page } = claimed;

  await check('users-not-registered-state', async () => {
    await navigation(page, () => page.click('nav.side a[href="/users"]'));
    if (new URL(page.url()).pathname !== '/users') return `landed on ${page.url()}`;
    const current = await page.locator('nav.side a[aria-current="page"]').textContent();
    if (current.trim() !== 'Users') return `current link is ${JSON.stringify(current)}`;
    const t = await page.locator('#enumeration .state').textContent();
    return t.includes('not registered with vCenter') || `state reads ${JSON.stringify(t)}`;
  });

  const now = Math.floor(Date.now() / 1000);
  fillList(db, now);
  await check('users-first-page-of-hundred', async () => {
    await page.reload();
    const names = await rowNames(page);
    if (names.length !== 100) return `${names.length} rows`;
    const cap = (await page.locator('#list caption').textContent()).replace(/\s+/g, ' ').trim();
    if (cap !== '1–100 of 245') return `caption ${JSON.stringify(cap)}`;
    const state = await page.locator('#enumeration .state').textContent();
    return /OK — enumerated .* 245 added, 0 changed, 0 removed/.test(state) || `state ${JSON.stringify(state)}`;
  });
  await page.screenshot({ path: join(shots, 'users.png'), fullPage: true });

  await check('users-filter-typed-into-form', async () => {
    await page.fill('#filter', 'USER24');
    await navigation(page, () => page.click('form.filter button[type=submit]'));
    const u = new URL(page.url());
    if (u.pathname !== '/users' || u.searchParams.get('filter') !== 'USER24') return `at ${page.url()}`;
    const names = (await rowNames(page)).sort();
    const want = ['user24', 'user240'];
    if (JSON.stringify(names) !== JSON.stringify(want)) return `rows ${JSON.stringify(names)}`;
    return (await page.inputValue('#filter')) === 'USER24' || 'the filter is not shown again';
  });
  await page.screenshot({ path: join(shots, 'users-filter.png'), fullPage: true });

  await check('users-filter-kept-on-next-page', async () => {
    await page.fill('#filter', 'Directory');
    await navigation(page, () => page.click('form.filter button[type=submit]'));
    await navigation(page, () => page.click('.pager a[rel=next]'));
    const u = new URL(page.url());
    if (u.searchParams.get('filter') !== 'Directory' || u.searchParams.get('page') !== '2')
      return `at ${page.url()}`;
    const cap = (await page.locator('#list caption').textContent()).replace(/\s+/g, ' ').trim();
    return cap === '101–200 of 240 matching “Directory”' || `caption ${JSON.stringify(cap)}`;
  });

  await check('users-filter-percent-is-plain-text', async () => {
    await page.goto(`${origin}/users?filter=${encodeURIComponent('%')}`);
    const names = await rowNames(page);
    return JSON.stringify(names) === '["100%_real"]' || `rows ${JSON.stringify(names)}`;
  });

  await check('users-markup-in-a-name-shown-as-text', async () => {
    await page.goto(`${origin}/users?filter=markup`);
    const cell = page.locator('#list tbody tr td:nth-child(2)');
    const t = await cell.textContent();
    if (t !== EVIL) return `cell reads ${JSON.stringify(t)}`;
    const n = await page.locator('#list tbody b, #list tbody img').count();
    return n === 0 || `${n} element(s) made from the name`;
  });

  await check('users-too-long-filter-refused', async () => {
    const r = await page.goto(`${origin}/users?filter=${'x'.repeat(101)}`);
    return r.status() === 400 || `status ${r.status()}`;
  });

  sql(db, `INSERT INTO jobs (job, started_at, ended_at, outcome, counts, error) VALUES
  ('userprovider', ${now + 1}, ${now + 2}, 'failed', '{}',
   'nothing answered at vcenter.example.com:443; check that vCenter is running and that the connector can reach it');`);
  await check('users-failed-enumeration-says-why', async () => {
    await page.goto(`${origin}/users`);
    const t = (await page.locator('#enumeration .state').textContent()).replace(/\s+/g, ' ');
    if (!/The list below is from \d{4}-\d\d-\d\d \d\d:\d\d UTC; the last enumeration failed: nothing answered at vcenter\.example\.com:443/.test(t))
      return `state reads ${JSON.stringify(t)}`;
    return (await rowNames(page)).length === 100 || 'the list is not shown';
  });
  await page.screenshot({ path: join(shots, 'users-failed.png') });

  const nojs = await newContext(browser, { javaScriptEnabled: false,
    viewport: { width: 800, height: 900 }, storageState: await ctx.storageState() });
  await check('users-filter-works-without-javascript', async () => {
    const p = await nojs.newPage();
    await p.goto(`${origin}/users`);
    await p.fill('#filter', "o'neil");
    await navigation(p, () => p.click('form.filter button[type=submit]'));
    const names = await rowNames(p);
    await p.screenshot({ path: join(shots, 'users-narrow.png'), fullPage: true });
    return JSON.stringify(names) === '["o\'neil"]' || `rows ${JSON.stringify(names)}`;
  });
  await nojs.close();
  await ctx.close();
}

await runMain(main, async () => {
  if (browser) await browser.close().catch(() => {});
  await stopInstance(inst.child);
});
const csp = consoleMsgs.filter(isCspViolation);
if (csp.length) fail('users-no-csp-violations', csp[0].text);
else pass('users-no-csp-violations');
removeRoot(root);
process.exit(results.failed ? 1 : 0);
