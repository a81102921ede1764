// common.mjs — what the browser tests share: the PASS/FAIL lines, a free
// port, and a console instance started with scripts/connector-run.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
// prints "Ready.".
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
  return { child, ready, output: () => out };
}

export function stopInstance(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 15000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}
