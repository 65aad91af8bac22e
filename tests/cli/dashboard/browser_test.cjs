// The dashboard page in a real headless browser: Debian's chromium driven by puppeteer-core (pinned in
// tools/package.json), against `watchbot-progress-cpp serve` on a SQLite database of jobs the CLI
// writes. Run by ctest (DashboardBrowser); synchronised on the page's state (waitForFunction), never
// on sleeps.
//
//   node browser_test.cjs CLI_PATH SCREENSHOT_PATH
//
// Environment: WP_CHROMIUM (default /usr/bin/chromium); WP_DASHBOARD_SCREENSHOT, where to write the
// screenshot instead of SCREENSHOT_PATH (the README's: WP_DASHBOARD_SCREENSHOT=$PWD/docs/dashboard.png). Exits non-zero when a check fails, and when
// chromium or puppeteer-core is missing (the test fails, it never skips).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [cli, defaultScreenshot] = process.argv.slice(2);
const screenshotPath = process.env.WP_DASHBOARD_SCREENSHOT || defaultScreenshot;
if (!cli || !screenshotPath) {
  console.error('usage: node browser_test.cjs CLI_PATH SCREENSHOT_PATH');
  process.exit(2);
}
const chromium = process.env.WP_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  console.error(`FAIL: ${chromium} is missing: install Debian's chromium (scripts/deps.sh lists it)`);
  process.exit(1);
}
const puppeteer = require(path.join(__dirname, '../../../tools/node_modules/puppeteer-core'));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wp-browser-'));
const db = `sqlite://${dir}/jobs.db`;
const run = (...args) => execFileSync(cli, [...args, '-d', db], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const status = (jobid) => JSON.parse(run('info', jobid));
// The local queue serve publishes to (--topic), and the parts files it resends from (--parts-dir).
const queue = `sqlite://${dir}/queue.db`;
const partsDir = path.join(dir, 'parts');
const queued = () => (!fs.existsSync(path.join(dir, 'queue.db')) ? [] : execFileSync(cli, ['queue', '--queue', queue], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  .split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line)));
const STDERR_TAIL = 'tile 1 is <b>corrupt</b>';

const HOSTILE_ID = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_META = '<script>window.__pwned=2</script><b>bold?</b>';
const REASON = 'disk full <b>on</b> worker 3';

function prepareJobs() {
  run('set-total', 'tiles-z12', '--total', '4');
  run('complete-part', 'tiles-z12', '--part', '0');
  run('complete-part', 'tiles-z12', '--part', '1');
  run('set-metadata', 'tiles-z12', '--metadata', '{"zoom": 12, "bucket": "tiles-out"}');
  run('set-total', 'reproject-2026', '--total', '10');
  for (const p of [0, 1, 2, 3]) run('complete-part', 'reproject-2026', '--part', String(p));
  run('set-total', 'ingest-failed', '--total', '3');
  run('complete-part', 'ingest-failed', '--part', '0');
  run('fail-job', 'ingest-failed', '--reason', REASON);
  run('set-total', 'daily-report', '--total', '2');
  run('complete-part', 'daily-report', '--part', '0');
  run('complete-part', 'daily-report', '--part', '1');
  run('set-total', HOSTILE_ID, '--total', '2');
  run('set-metadata', HOSTILE_ID, '--metadata', JSON.stringify({ note: HOSTILE_META }));
  run('set-total', 'to-delete', '--total', '1');
  // A job whose part 1 failed in `worker` (its second delivery): exit code 5 and the end of its stderr.
  fs.mkdirSync(partsDir);
  fs.writeFileSync(path.join(partsDir, 'tiles-failing.jsonl'), [0, 1, 2].map((i) => JSON.stringify({ tile: i })).join('\n') + '\n');
  run('set-total', 'tiles-failing', '--total', '3');
  const env = { ...process.env, Subject: 'map', Message: JSON.stringify({ tile: 1, jobid: 'tiles-failing', partid: 1, metadata: null }), ApproximateReceiveCount: '2' };
  try {
    execFileSync(cli, ['worker', '-d', db, '--topic', queue, '--', '/bin/sh', '-c', `echo 'reading tile 1' >&2; echo '${STDERR_TAIL}' >&2; exit 5`],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    throw new Error('the failing worker exited 0');
  } catch (e) {
    if (e.status !== 5) throw e;
  }
}

// Starts serve; resolves with {port, token} once it printed its start-up lines.
function startServe() {
  const child = spawn(cli, ['serve', '-d', db, '--listen', '127.0.0.1:0', '--interval', '0.1', '--allow-actions',
    '--topic', queue, '--parts-dir', partsDir],
    { stdio: ['ignore', 'inherit', 'pipe'] });
  let err = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      err += chunk;
      process.stderr.write(chunk.toString().replace(/token [0-9a-f]+/g, 'token ...').replace(/#token=[0-9a-f]+/g, '#token=...'));
      const port = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      const token = /with the token ([0-9a-f]+)/.exec(err);
      if (port && token) resolve({ port: Number(port[1]), token: token[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before it listened: ${err}`)));
  });
  return { child, ready };
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok - ${name}`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL - ${name}: ${e.stack || e}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// The row of a job in the list, found by its data attribute (compared as text in the page).
const rowOf = (jobid) => [...document.querySelectorAll('#jobs tbody tr')].find((tr) => tr.dataset.jobid === jobid);

async function main() {
  prepareJobs();
  const serve = startServe();
  const { port, token } = await serve.ready;
  const url = `http://127.0.0.1:${port}/`;
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000);
    await page.setViewport({ width: 1280, height: 520 });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('dialog', (d) => d.accept(d.defaultValue()));  // the confirmation, and the reason prompt with its default

    await page.goto(url);
    await page.waitForFunction(`(${rowOf})('tiles-z12') !== undefined`);

    await check('actions are refused without the token', async () => {
      await page.evaluate(`(${rowOf})('tiles-z12').querySelector('button[data-action=fail]').click()`);
      await page.waitForFunction(() => document.getElementById('notice').className === 'bad');
      const text = await page.$eval('#notice', (n) => n.textContent);
      assert(text.includes('refused (HTTP 401)'), `notice: ${text}`);
      assert(status('tiles-z12').failed === false, 'the job was failed without the token');
    });

    await check('a job completing while the page is open moves its bar to 100% without a reload', async () => {
      await page.evaluate(() => { window.__sameDocument = true; });
      const before = await page.evaluate(`(${rowOf})('tiles-z12').querySelector('.bar').getAttribute('aria-valuenow')`);
      assert(before === '50', `the bar starts at ${before}`);
      run('complete-part', 'tiles-z12', '--part', '2');
      run('complete-part', 'tiles-z12', '--part', '3');
      await page.waitForFunction(`(${rowOf})('tiles-z12').querySelector('.bar').getAttribute('aria-valuenow') === '100'`);
      const row = await page.evaluate(`(() => { const r = (${rowOf})('tiles-z12'); return { state: r.dataset.state, parts: r.querySelector('.parts').textContent, width: r.querySelector('.fill').style.width }; })()`);
      assert(row.state === 'complete' && row.parts === '4 / 4' && row.width === '100%', JSON.stringify(row));
      assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    });

    await check('hostile job ids and metadata are shown as text', async () => {
      await page.waitForFunction(`(${rowOf})(${JSON.stringify(HOSTILE_ID)}) !== undefined`);
      const link = await page.evaluate(`(${rowOf})(${JSON.stringify(HOSTILE_ID)}).querySelector('a').textContent`);
      assert(link === HOSTILE_ID, `link text: ${link}`);
      assert(await page.evaluate(() => document.querySelectorAll('img').length === 0), 'an <img> was created');
      await page.evaluate(`(${rowOf})(${JSON.stringify(HOSTILE_ID)}).querySelector('a').click()`);
      await page.waitForFunction((id) => document.body.dataset.rendered === 'job' &&
        document.getElementById('job-id') && document.getElementById('job-id').textContent === id, {}, HOSTILE_ID);
      const meta = await page.$eval('#metadata', (m) => m.textContent);
      assert(meta.includes(JSON.stringify(HOSTILE_META).slice(1, -1)), `metadata: ${meta}`);
      const found = await page.evaluate(() => ({
        pwned: window.__pwned, scripts: document.scripts.length, bold: document.querySelectorAll('main b').length,
        imgs: document.querySelectorAll('img').length,
      }));
      assert(found.pwned === undefined && found.scripts === 1 && found.bold === 0 && found.imgs === 0, JSON.stringify(found));
    });

    await check('a failed job shows its reason', async () => {
      await page.evaluate(() => { location.hash = `#/job/${encodeURIComponent('ingest-failed')}`; });
      await page.waitForFunction(() => document.getElementById('job-id') &&
        document.getElementById('job-id').textContent === 'ingest-failed' && !document.getElementById('reason-box').hidden);
      const reason = await page.$eval('#reason', (r) => ({ text: r.textContent, children: r.children.length }));
      assert(reason.text === REASON && reason.children === 0, JSON.stringify(reason));
      assert(await page.evaluate(() => window.__sameDocument === true), 'moving to a job reloaded the page');
    });

    await check('the chart follows completions while a job page is open', async () => {
      await page.evaluate(() => { location.hash = `#/job/${encodeURIComponent('reproject-2026')}`; });
      await page.waitForFunction(() => document.getElementById('chart').dataset.samples === '1' &&
        document.getElementById('job-id').textContent === 'reproject-2026');
      run('complete-part', 'reproject-2026', '--part', '4');
      // The chart gains a point, and the pending parts (read after it) lose part 4.
      await page.waitForFunction(() => document.getElementById('chart').dataset.samples === '2' &&
        document.getElementById('pending-parts').textContent === '5, 6, 7, 8, 9');
      const bar = await page.$eval('#job-bar-row .bar', (b) => b.getAttribute('aria-valuenow'));
      assert(bar === '50', `bar: ${bar}`);
    });

    await check('an action with the token, after confirmation, is done', async () => {
      await page.goto('about:blank');  // a new document: a change of fragment alone would not load the page again
      await page.goto(`${url}#token=${token}`);
      await page.waitForFunction(`(${rowOf})('to-delete') !== undefined`);
      assert(await page.evaluate(() => location.hash === '#/'), 'the token stayed in the address');
      await page.evaluate(`(${rowOf})('to-delete').querySelector('button[data-action=delete]').click()`);
      await page.waitForFunction(`(${rowOf})('to-delete') === undefined`);
      let gone = false;
      try { status('to-delete'); } catch (e) { gone = true; }
      assert(gone, 'the job is still there');
    });

    await check('a failed part shows its exit code and stderr tail, and "resend this part" sends one message', async () => {
      await page.evaluate(() => { location.hash = `#/job/${encodeURIComponent('tiles-failing')}`; });
      await page.waitForFunction(() => document.getElementById('job-id') &&
        document.getElementById('job-id').textContent === 'tiles-failing' && !document.getElementById('failures').hidden);
      const row = await page.evaluate(() => {
        const tr = document.querySelector('#failures tbody tr[data-partid="1"]');
        return tr && {
          exit: tr.querySelector('.exit-code').textContent, attempts: tr.querySelector('.attempts').textContent,
          text: tr.querySelector('pre.failure-text').textContent, bold: document.querySelectorAll('main b').length,
        };
      });
      assert(row && row.exit === '5' && row.attempts === '2' && row.text.includes(`reading tile 1\n${STDERR_TAIL}`) &&
        row.bold === 0, JSON.stringify(row));
      assert(queued().length === 0, 'the queue holds messages before the resend');
      await page.evaluate(() => { document.getElementById('notice').className = ''; });
      await page.evaluate(() => document.querySelector('#failures tbody tr[data-partid="1"] button[data-action=resend-part]').click());
      await page.waitForFunction(() => document.getElementById('notice').className !== '');
      const text = await page.$eval('#notice', (n) => `${n.className}: ${n.textContent}`);
      assert(text.startsWith('good:'), `notice: ${text}`);
      const messages = queued();
      assert(messages.length === 1, `${messages.length} messages in the queue`);
      const body = JSON.parse(messages[0].message);
      assert(messages[0].subject === 'map' && body.partid === 1 && body.tile === 1 && body.jobid === 'tiles-failing',
        JSON.stringify(messages[0]));
    });

    await check('/metrics opens in the browser as Prometheus text that promtool accepts, with the jobs\' counts', async () => {
      const tab = await browser.newPage();
      try {
        const response = await tab.goto(`${url}metrics`);
        assert(response.status() === 200, `status ${response.status()}`);
        const type = response.headers()['content-type'];
        assert(type === 'text/plain; version=0.0.4; charset=utf-8', `Content-Type: ${type}`);
        const text = await tab.evaluate(() => document.body.innerText);
        execFileSync('promtool', ['check', 'metrics'], { input: text.endsWith('\n') ? text : `${text}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
        const value = (series) => {
          const line = text.split('\n').find((l) => l.startsWith(`${series} `));
          assert(line !== undefined, `no ${series} in:\n${text}`);
          return Number(line.slice(series.length + 1));
        };
        assert(value('watchbot_progress_jobs{state="failed"}') === 1, 'failed jobs');
        const job = status('reproject-2026');  // running: 5 of 10 parts done by now
        assert(value('watchbot_progress_job_parts{jobid="reproject-2026",state="pending"}') === job.remaining, 'pending parts');
        assert(value('watchbot_progress_job_parts{jobid="reproject-2026",state="complete"}') === job.total - job.remaining,
          'complete parts');
        // The hostile id comes back escaped as the format says (its double quotes as \").
        assert(text.includes(`jobid="${HOSTILE_ID.replace(/"/g, '\\"')}"`), 'the hostile job id is not escaped');
      } finally {
        await tab.close();
      }
    });

    await check('the page raised no script error', async () => {
      assert(pageErrors.length === 0, pageErrors.join('\n'));
    });

    // The README's picture: the list with a running, a complete and a failed job.
    await page.evaluate(() => { location.hash = '#/'; });
    await page.waitForFunction(`(${rowOf})('ingest-failed') !== undefined && document.body.dataset.rendered === 'list'`);
    await page.evaluate(() => { document.getElementById('notice').hidden = true; });
    fs.mkdirSync(path.dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath });
    console.log(`screenshot: ${screenshotPath}`);
  } finally {
    await browser.close();
    serve.child.kill('SIGINT');
    await new Promise((resolve) => serve.child.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const failed = results.filter(([, ok]) => !ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
