// The Health Status pane in a real browser: at the top of the dashboard,
// one item red among green ones with its icon, word and 24-hour strip (a
// run's title on the strip says when), the overall state the worst item's;
// its error log opened from View Error Log with the failed stage in words
// and the timings; the narrow window; then Check now, its page refreshing
// itself until the run is done and the dashboard's notice.  The rows are
// written into the instance's state.db as the health job leaves them (the
// instance's own schedule is pushed out of the way so no run overwrites
// them).  Screenshots go to $SCREENSHOT_DIR (default build/screenshots;
// health*.png; docs/health.png is health.png).
//
// usage: node tests/browser/health.test.mjs
// Prints "PASS name" / "FAIL name: why" lines; exits 1 if any failed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  results, pass, fail, check, runMain, removeRoot, freePort, startInstance, stopInstance,
  sql, launchBrowser, screenshotDir, newContext, navigation, setupCode, claimedPage,
  isCspViolation,
} from './common.mjs';

const shots = screenshotDir();
const PASSWORD = 'orchard kettle granite ribbon';
const VERSION = readFileSync(new URL('../../VERSION', import.meta.url), 'utf8').trim();
const EVIL = '<img src=x onerror=alert(1)>';

// The rows as a run of the health job leaves them: every item OK but AWS,
// which has failed for the last 45 minutes after a short warning earlier.
function fillHealth(db, now) {
  const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
  const ok = [
    ['uptodate', `Up to date: version ${VERSION} is the latest.`, '{}'],
    ['vcenter', 'Signed in to vCenter vc01.example.com:443 as svc-connector@vsphere.local (VMware vCenter Server 8.0.2), and out again.',
      '{"endpoint":"https://vc01.example.com/sdk","thumbprint":"3F:1A:77:C2"}'],
    ['registered_ip', 'The connector is registered with the address it uses now, 10.20.0.15.', '{}'],
    ['time', "The connector's clock is within 1 s of vCenter and within 1 s of AWS.",
      '{"values":{"offset_vcenter_seconds":0.4,"offset_aws_seconds":0.2}}'],
    ['userprovider', 'The UserProvider refreshed the list of vCenter users at 16:57 UTC: 42 users, 7 groups.', '{}'],
    ['poller', "The poller refreshed the migrations' status at 16:59 UTC: 3 checked, 1 changed.", '{}'],
    ['login', 'No failed sign-ins since the last sign-in at 2026-12-02 08:14 UTC.', '{}'],
    ['certificate', "The console's certificate is valid until 2027-11-30 for 10.20.0.15 (self-signed).", '{}'],
    ['disk', '38.4 GiB of 46.6 GiB free (82%) in /var/lib/connector for the state; 38.4 GiB of 46.6 GiB free (82%) in /var/log/connector for the logs.', '{"values":{"free_ratio":0.82}}'],
  ];
  const rows = ok.map(([item, summary, details]) =>
    `(${q(item)}, 'ok', ${q(summary)}, ${q(details)}, ${now - 40}, ${now - 86400}, 180, ${q('o'.repeat(96))})`);
  const awsSummary = 'AWS does not know this key ID, or it was revoked. Create a new access key ' +
    'for the connector\'s IAM user and enter it in Update the registration.';
  const awsDetails = JSON.stringify({
    endpoint: 'https://sts.eu-west-1.amazonaws.com/', stage: 'authentication',
    error: 'The security token included in the request is invalid.',
    timings: { dns: 0.004, connect: 0.021, tls: 0.064, first_byte: 0.142, total: 0.143 },
    access_key_id: 'AKIAEXAMPLE0001', note: EVIL,
  });
  const strip = 'o'.repeat(60) + 'w'.repeat(2) + 'o'.repeat(31) + 'e'.repeat(3);
  rows.push(`('aws', 'error', ${q(awsSummary)}, ${q(awsDetails)}, ${now - 40}, ${now - 2700}, 143, ${q(strip)})`);
  rows.push(`('proxy', 'absent', 'No network proxy is set.', NULL, ${now - 40}, ${now - 86400}, 1, '')`);
  rows.push(`('authproxy', 'absent', 'Federation does not go through the connector.', NULL, ${now - 40}, ${now - 86400}, 1, '')`);
  const log = [];
  for (let i = 0; i < 3; i++)
    log.push(`('aws', ${now - 40 - i * 900}, 'error', ${q(awsSummary)}, ${q(awsDetails)}, 143)`);
  log.push(`('aws', ${now - 3600}, 'ok', 'Signed in to AWS as arn:aws:iam::123456789012:user/connector.', NULL, 210)`);
  sql(db, `BEGIN; DELETE FROM health; DELETE FROM health_log;
INSERT INTO health (item, state, summary, details, checked_at, since, duration_ms, strip) VALUES
${rows.join(',\n')};
INSERT INTO health_log (item, at, state, summary, details, duration_ms) VALUES
${log.join(',\n')};
INSERT INTO jobs (job, started_at, ended_at, outcome, counts) VALUES
  ('health', ${now - 41}, ${now - 40}, 'ok', '{"ok":9,"warning":0,"error":1}');
COMMIT;`);
}

// No run of the instance's own schedule while the test looks.
process.env.CONNECTOR_JOB_INTERVAL = '1000000';
const root = mkdtempSync(join(tmpdir(), 'connector-health-'));
const inst = startInstance(root, await freePort(), 1);
const { origin, db } = inst;
let browser = null;
const consoleMsgs = [];

async function main() {
  const code = await setupCode(inst);
  if (!code) return;
  browser = await launchBrowser();
  const claimed = await claimedPage(browser, origin, code, PASSWORD, { consoleMsgs });
  if (!claimed) return;
  const { ctx, page } = claimed;

  await check('health-grey-before-the-first-run', async () => {
    const t = await page.locator('#health .overall').textContent();
    const cls = await page.locator('#health .overall').getAttribute('class');
    return (t.includes('Not checked yet') && cls.includes('unknown')) ||
      `overall ${JSON.stringify(t)} (${cls})`;
  });

  // Before the first run every item reads "Not checked" (grey), and the
  // state column holds its longest word, "Not applicable", on one line.
  await check('health-never-checked-words-on-one-line', async () => {
    const words = await page.locator('#health .health-item .word').allTextContents();
    if (words.length === 0 || words.some((w) => w !== 'Not checked'))
      return `words ${JSON.stringify(words)}`;
    const lines = await page.evaluate(() => {
      const out = [];
      for (const w of ['Not checked', 'Not applicable', 'Warning']) {
        const el = document.querySelector('#health .health-item .word');
        const was = el.textContent;
        el.textContent = w;
        // The word's lines: the distinct tops of its text's boxes.
        const r = document.createRange();
        r.selectNodeContents(el);
        out.push([w, new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size]);
        el.textContent = was;
      }
      return out;
    });
    return lines.every(([, n]) => n === 1) || `wrapped ${JSON.stringify(lines)}`;
  });

  fillHealth(db, Math.floor(Date.now() / 1000));
  await page.reload();
  await check('health-pane-first-on-the-dashboard', async () => {
    const first = await page.locator('main section.panel').first().getAttribute('id');
    return first === 'health' || `the first panel is ${first}`;
  });
  await check('health-overall-is-the-worst-item', async () => {
    const t = (await page.locator('#health .overall').textContent()).trim();
    const icon = await page.locator('#health .overall img').getAttribute('src');
    return (t.startsWith('Error') && icon === '/static/state-error.svg') ||
      `overall ${JSON.stringify(t)} ${icon}`;
  });
  await check('health-items-in-order-absent-left-out', async () => {
    const ids = await page.locator('#health li.health-item').evaluateAll(
      (els) => els.map((e) => e.id.replace('health-', '')));
    const want = ['uptodate', 'aws', 'vcenter', 'registered_ip', 'time', 'userprovider',
      'poller', 'login', 'certificate', 'disk'];
    return JSON.stringify(ids) === JSON.stringify(want) || `items ${JSON.stringify(ids)}`;
  });
  await check('health-aws-red-with-word-and-summary', async () => {
    const aws = page.locator('#health-aws');
    const word = (await aws.locator('.word').textContent()).trim();
    const border = await aws.evaluate((e) => getComputedStyle(e).borderLeftColor);
    const ok = await page.locator('#health-vcenter').evaluate((e) => getComputedStyle(e).borderLeftColor);
    const summary = await aws.locator('.summary').textContent();
    if (word !== 'Error') return `word ${word}`;
    if (border !== 'rgb(180, 35, 24)') return `border ${border}`;
    if (ok !== 'rgb(29, 122, 58)') return `an OK item's border ${ok}`;
    return summary.includes('does not know this key ID') || `summary ${summary}`;
  });
  await check('health-strip-runs-with-titles', async () => {
    const rects = await page.locator('#health-aws svg.strip rect').evaluateAll((els) =>
      els.map((r) => [r.getAttribute('class'), +r.getAttribute('x'), +r.getAttribute('width'),
        r.querySelector('title').textContent]));
    const shape = rects.map(([c, x, w]) => `${c}:${x}+${w}`).join(' ');
    if (shape !== 's-ok:0+60 s-warning:60+2 s-ok:62+31 s-error:93+3') return `runs ${shape}`;
    const box = await page.locator('#health-aws svg.strip').boundingBox();
    if (!box || box.width < 200 || box.height < 10) return `strip box ${JSON.stringify(box)}`;
    return /^Error \d\d:\d\d–\d\d:\d\d UTC$/.test(rects[3][3]) || `title ${rects[3][3]}`;
  });
  await page.screenshot({ path: join(shots, 'health.png'), clip: { x: 0, y: 0, width: 1280, height: 800 } });

  await check('health-error-log-opens-from-the-pane', async () => {
    await navigation(page, () => page.click('#health-aws a:has-text("View Error Log")'));
    if (new URL(page.url()).pathname !== '/health/log') return `at ${page.url()}`;
    const h1 = await page.locator('h1').textContent();
    if (h1 !== 'Error log: AWS Connectivity') return `title ${h1}`;
    const facts = await page.locator('#now dl.facts').textContent();
    for (const want of ['while signing in', 'https://sts.eu-west-1.amazonaws.com/',
      'The security token included in the request is invalid.',
      'name lookup 0.004 s', 'TLS handshake 0.064 s', 'AKIAEXAMPLE0001', EVIL])
      if (!facts.includes(want)) return `no ${JSON.stringify(want)} in the facts`;
    const entries = await page.locator('#history article.log-entry').count();
    if (entries !== 4) return `${entries} entries`;
    const first = await page.locator('#history article.log-entry .word, #history article.log-entry .state').first().textContent();
    return first.trim() === 'Error' || `newest entry ${JSON.stringify(first)}`;
  });
  await page.screenshot({ path: join(shots, 'health-log.png'), fullPage: true });

  const narrow = await newContext(browser, { viewport: { width: 420, height: 900 },
    storageState: await ctx.storageState() });
  await check('health-pane-narrow-window', async () => {
    const p = await narrow.newPage();
    await p.goto(`${origin}/`);
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    await p.screenshot({ path: join(shots, 'health-narrow.png') });
    return width <= 420 || `the page is ${width} px wide`;
  });
  await narrow.close();

  await check('health-check-now-refreshes-until-done', async () => {
    await page.goto(`${origin}/`);
    const seen = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) seen.push(f.url()); });
    await page.click('#health button:has-text("Check now")');
    await page.waitForURL(`${origin}/`, { timeout: 60000 });
    if (!seen.some((u) => u.includes('/health/run'))) return `went through ${JSON.stringify(seen)}`;
    const notice = await page.locator('#notice').textContent();
    return /Health checked: \d+ OK, \d+ warnings?, \d+ errors?/.test(notice) ||
      `notice ${JSON.stringify(notice)}`;
  });
  await ctx.close();
}

await runMain(main, async () => {
  if (browser) await browser.close().catch(() => {});
  await stopInstance(inst.child);
});
const csp = consoleMsgs.filter(isCspViolation);
if (csp.length) fail('health-no-csp-violations', csp[0].text);
else pass('health-no-csp-violations');
const alerts = consoleMsgs.filter((m) => m.type === 'pageerror');
if (alerts.length) fail('health-no-page-errors', alerts[0].text);
else pass('health-no-page-errors');
removeRoot(root);
process.exit(results.failed ? 1 : 0);
