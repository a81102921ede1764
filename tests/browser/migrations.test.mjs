// The Migrations page in a real browser, on a console registered against
// the vCenter and AWS doubles (tests/e2e/regserve.py): imports started and
// queued through the form, moved through their states in the AWS double and
// read by the poller job (build/cron/connector-poller), an instance import
// tracked; then the list with tasks in several states, sorted by clicking
// its headers, paged with its links, at a wide and a narrow width, without
// JavaScript errors, scripts or requests leaving the loopback address.
// Screenshots go to $SCREENSHOT_DIR (default build/screenshots).
//
// usage: node tests/browser/migrations.test.mjs   (after make all)
// Prints "PASS name" / "FAIL name: why" lines; exits 1 if any failed.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import {
  top, results, pass, fail, check, runMain,
  launchBrowser, screenshotDir, newContext, navigation, signIn, sql,
} from './common.mjs';

const shots = screenshotDir();

// The registered console: regserve.py in its own process group, stopped
// by closing its standard input (then by the group, if it lingers).
function startServer() {
  const child = spawn('python3', [join(top, 'tests', 'e2e', 'regserve.py')],
    { cwd: top, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 180 s: ${err.slice(-500)}`)), 180000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.stderr.on('data', (d) => { err += d.toString(); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`regserve exited (${code}): ${err.slice(-500)}`));
    });
  });
  ready.catch(() => {});
  return { child, ready };
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      resolve();
    }, 30000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.stdin.end();
  });
}

// POST a JSON body to the AWS double's control endpoint.
function control(aws, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request(aws.control, {
      method: 'POST', ca: readFileSync(aws.ca), timeout: 30000,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      let b = '';
      res.on('data', (d) => { b += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(b))
        : reject(new Error(`control ${res.statusCode}: ${b}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

// One run of the poller job on the console's root, as cron runs it.
function poll(srv) {
  return execFileSync(join(top, 'build', 'cron', 'connector-poller'), ['--root', srv.root],
    { env: { ...process.env, ...srv.job_env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

const server = startServer();
let browser = null;
const requests = [];
const consoleMsgs = [];

async function main() {
  let srv;
  try {
    srv = await server.ready;
  } catch (e) {
    fail('registered-console-starts', e.message);
    return;
  }
  pass('registered-console-starts');
  browser = await launchBrowser();
  const ctx = await newContext(browser, {}, { requests, consoleMsgs });
  const page = await ctx.newPage();
  const go = (fn) => navigation(page, fn);
  const notice = async () => ((await page.locator('#notice').textContent()) || '').trim();
  const names = () => page.locator('table.migrations .vm-name').allTextContents();

  await check('sign-in-and-open-migrations', async () => {
    await page.goto(`${srv.origin}/migrations`);
    if (new URL(page.url()).pathname !== '/login') return `went to ${page.url()}`;
    await signIn(page, srv.password);
    const h1 = (await page.locator('h1').textContent()).trim();
    const nav = await page.locator('nav.side a[aria-current="page"]').textContent();
    return (new URL(page.url()).pathname === '/migrations' && h1 === 'Migrations' &&
      nav.trim() === 'Migrations') || `${page.url()}: ${h1}, nav ${nav}`;
  });

  // Ten imports typed into the form: four start, six wait for a slot.
  const vms = ['web01', 'web02', 'db01', 'db02', 'app01', 'app02', 'cache01', 'mq01', 'ldap01', 'files01'];
  await check('imports-started-then-queued', async () => {
    const notes = [];
    for (const [i, name] of vms.entries()) {
      await page.fill('#import-vm_id', `vm-${100 + i}`);
      await page.fill('#import-vm_name', name);
      await page.fill('#bucket', 'connector-imports');
      await page.fill('#key', `images/${name}.vmdk`);
      await page.selectOption('#format', i % 3 === 2 ? 'OVA' : 'VMDK');
      await go(() => page.click('#import button.primary'));
      notes.push(await notice());
    }
    const want = [...Array(4).fill('Import started.'), ...Array(6).fill(
      'Import queued: 4 imports are already in progress in us-east-1; it starts when one finishes.')];
    return JSON.stringify(notes) === JSON.stringify(want) || JSON.stringify(notes);
  });

  await check('bad-field-shown-beside-it-with-the-value-typed', async () => {
    await page.fill('#import-vm_id', 'vm-9');
    await page.fill('#import-vm_name', 'typed <b>back</b>');
    await page.fill('#bucket', 'Bad_Bucket');
    await page.fill('#key', 'images/x.vmdk');
    await go(() => page.click('#import button.primary'));
    const err = (await page.locator('#bucket-error').textContent()).trim();
    const kept = await page.inputValue('#import-vm_name');
    const focused = await page.evaluate(() => document.activeElement.id);
    await page.screenshot({ path: join(shots, 'migrations-field-error.png'), fullPage: true });
    return (err.startsWith('An S3 bucket name') && kept === 'typed <b>back</b>' && focused === 'bucket') ||
      `${err} / ${kept} / ${focused}`;
  });

  // AWS moves them along; the poller reads them.
  const state = await control(srv.aws, {});
  const ids = state.import_tasks_created.map((t) => t.importTaskId);
  const cid = (await control(srv.aws, { conversion_tasks: [{ description: 'erp01' }] })).conversion_task_ids[0];
  await check('import-started-elsewhere-tracked', async () => {
    await page.goto(`${srv.origin}/migrations`);
    await page.fill('#task_id', cid);
    await page.fill('#track-vm_id', 'vm-200');
    await page.fill('#track-vm_name', 'erp01');
    await go(() => page.click('#track button.primary'));
    const n = await notice();
    return n.startsWith('Tracked. AWS reports the task as active') || n;
  });
  await control(srv.aws, {
    import_task_updates: [
      { import_task_id: ids[0], status: 'completed' },
      { import_task_id: ids[1], status_message: 'converting', progress: '45' },
      { import_task_id: ids[2], status: 'deleted', status_message: 'ClientError: Disk validation failed [Unsupported OVA File Format]' },
      { import_task_id: ids[3], delete: true },
    ],
    conversion_task_updates: [{ conversion_task_id: cid, state: 'completed' }],
  });
  // db02's task, forgotten by AWS, was last seen two poll intervals ago
  // (EC2 is eventually consistent: a task not found once is not missing).
  sql(join(srv.root, 'var', 'lib', 'connector', 'state.db'),
    "UPDATE vms SET last_seen = coalesce(last_seen, first_seen) - 600 WHERE vm_name = 'db02';");
  await check('poller-reads-and-starts-queued', async () => {
    const out = poll(srv);
    return /2 imports completed, 2 imports failed or deleted in AWS, 3 queued imports started/.test(out) || out;
  });

  await check('tasks-in-several-states-shown', async () => {
    await page.goto(`${srv.origin}/migrations?sort=name`);
    const rows = await page.locator('table.migrations tbody tr').evaluateAll((trs) => trs.map((tr) => {
      const td = tr.querySelectorAll('td');
      return [td[0].querySelector('.vm-name').textContent.trim(),
        td[1].querySelector('.state').textContent.trim(),
        td[1].querySelector('.state img').getAttribute('src'),
        td[2].textContent.trim(), td[3].textContent.trim()];
    }));
    const by = Object.fromEntries(rows.map((r) => [r[0], r]));
    const fresh = (await page.locator('#freshness').textContent()).trim();
    const labels = new Set(rows.map((r) => r[1]));
    const checks = [
      [by.web01[1] === 'Completed' && by.web01[2].endsWith('state-ok.svg') && by.web01[4].startsWith('ami-'), 'web01 completed with its AMI'],
      [by.web02[1] === 'In progress' && by.web02[3] === '45%', 'web02 at 45%'],
      [by.db01[1] === 'Deleted in AWS' && by.db01[2].endsWith('state-error.svg'), 'db01 deleted'],
      [by.db02[1] === 'Unknown to AWS' && by.db02[2].endsWith('state-warning.svg'), 'db02 unknown to AWS'],
      [by.erp01[1] === 'Completed' && /^i-\S+ stopped$/.test(by.erp01[4]), 'erp01 with its instance'],
      [labels.has('Queued'), 'some still queued'],
      [fresh === 'OK — Last updated less than a minute ago.', `freshness ${fresh}`],
    ];
    const bad = checks.filter((c) => !c[0]).map((c) => c[1]);
    await page.screenshot({ path: join(shots, 'migrations.png'), fullPage: true });
    await page.screenshot({ path: join(shots, 'migrations-top.png') });
    return bad.length === 0 || `${bad.join('; ')}: ${JSON.stringify(rows)}`;
  });

  await check('sorted-by-clicking-headers', async () => {
    await page.goto(`${srv.origin}/migrations`);
    await go(() => page.click('thead th >> text=VM'));
    const asc = await names();
    const sortedAsc = [...asc].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const ariaAsc = await page.locator('thead th').first().getAttribute('aria-sort');
    await go(() => page.click('thead th >> text=VM'));
    const desc = await names();
    const ariaDesc = await page.locator('thead th').first().getAttribute('aria-sort');
    await go(() => page.click('thead th >> text=State'));
    const states = await page.locator('table.migrations tbody .state').allTextContents();
    return (JSON.stringify(asc) === JSON.stringify(sortedAsc) &&
      JSON.stringify(desc) === JSON.stringify([...sortedAsc].reverse()) &&
      ariaAsc === 'ascending' && ariaDesc === 'descending' &&
      states[0].trim() === 'In progress' && states[states.length - 1].trim() === 'Completed') ||
      `${asc} / ${desc} / ${ariaAsc} ${ariaDesc} / ${states}`;
  });

  await check('paged-with-its-links', async () => {
    await page.goto(`${srv.origin}/migrations?sort=name&per_page=10`);
    const first = await names();
    const caption = (await page.locator('table.migrations caption').textContent()).trim();
    await go(() => page.click('nav.pager a[rel="next"]'));
    const second = await names();
    const where = (await page.locator('nav.pager span').textContent()).trim();
    await go(() => page.click('nav.pager a[rel="prev"]'));
    const back = await names();
    return (first.length === 10 && second.length === 1 && where === 'Page 2 of 2' &&
      caption.startsWith('VMs 1–10 of 11') && JSON.stringify(back) === JSON.stringify(first) &&
      !first.includes(second[0])) || `${first} / ${second} / ${where} / ${caption}`;
  });

  await check('narrow-window-readable', async () => {
    await page.setViewportSize({ width: 480, height: 800 });
    await page.goto(`${srv.origin}/migrations?sort=name`);
    const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    await page.screenshot({ path: join(shots, 'migrations-narrow.png'), fullPage: true });
    await page.screenshot({ path: join(shots, 'migrations-narrow-top.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    return w[0] <= w[1] + 1 || `the page is ${w[0]}px wide in a ${w[1]}px window`;
  });

  await check('no-scripts-and-works-without-javascript', async () => {
    const scripts = await page.locator('script').count();
    const noJs = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
    await noJs.addCookies(await ctx.cookies());
    const p = await noJs.newPage();
    await p.goto(`${srv.origin}/migrations?sort=state`);
    await navigation(p, () => p.click('thead th >> text=Progress'));
    const url = p.url();
    await noJs.close();
    return (scripts === 0 && url.includes('sort=progress')) || `${scripts} scripts, ${url}`;
  });

  // The one 400 is the form answered with a field in error, by design.
  const errors = consoleMsgs.filter((m) => m.type === 'error' || m.type === 'pageerror')
    .map((m) => `${m.type}: ${m.text}`);
  await check('no-javascript-errors', () => errors.filter((m) =>
    !/status of 400/.test(m)).length === 0 || errors.join('; '));
  await check('no-request-leaves-loopback', () => {
    const out = requests.filter((u) => !u.startsWith(srv.origin + '/'));
    return out.length === 0 || out.join(', ');
  });
}

await runMain(main, async () => {
  if (browser) await browser.close().catch(() => {});
  await stopServer(server.child);
}, 'run');
process.exit(results.failed ? 1 : 0);
