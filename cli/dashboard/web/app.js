// The dashboard page of `watchbot-progress-cpp serve`. No framework, no build step: plain DOM.
// Everything that comes from the database (job ids, metadata, reasons) is put in the page as text
// (textContent, attribute values), never parsed as HTML.
'use strict';

const PAGE_SIZE = 50;
const state = {
  config: null,
  filter: '',        // '', running, stale, complete, failed
  offset: 0,
  pendingOffset: 0,
  version: 0,
  chart: { jobid: null, samples: [] },  // (timeMs, done) seen while the job's page is open
  refreshing: false,
  again: false,
};

const $ = (id) => document.getElementById(id);

// An element with attributes and children (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return node;
}

function token() {
  return sessionStorage.getItem('watchbot-token') || '';
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
  seconds = Math.max(0, Math.round(seconds));
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

function formatRate(rate) {
  if (rate === null || rate === undefined) return '—';
  return rate >= 10 ? `${rate.toFixed(0)}/s` : `${rate.toFixed(2)}/s`;
}

function percent(job) {
  return job.total > 0 ? (100 * job.done) / job.total : 0;
}

function bar(job) {
  const pct = percent(job);
  const fill = el('div', { class: 'fill' });
  fill.style.width = `${pct}%`;  // through the CSSOM: the page's CSP allows no inline style attribute
  return el('div', {
    class: `bar ${job.state}`, role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': String(Math.round(pct * 10) / 10), title: `${pct.toFixed(1)}%`,
  }, fill);
}

function stateBadge(job) {
  return el('span', { class: `state ${job.state}` }, job.state);
}

function jobLink(jobid) {
  return `#/job/${encodeURIComponent(jobid)}`;
}

function notice(text, kind) {
  const n = $('notice');
  n.textContent = text;
  n.className = kind || '';
  n.hidden = !text;
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  return { ok: res.ok, status: res.status, body };
}

// ---------------------------------------------------------------------------------------------
// Actions: each asks for confirmation, then sends the token; the server refuses without it.

async function act(action, jobid) {
  const words = { fail: 'Mark job failed', sweep: 'Send the lost reduce of job', delete: 'Delete every record of job' };
  if (!window.confirm(`${words[action]} "${jobid}"?`)) return;
  let body;
  if (action === 'fail') {
    const reason = window.prompt('Reason for failing the job:', 'failed from the dashboard');
    if (reason === null) return;
    body = JSON.stringify({ reason });
  }
  const headers = { 'Content-Type': 'application/json' };
  if (token()) headers['X-Watchbot-Token'] = token();
  const res = await fetch(`/api/job/${action}?id=${encodeURIComponent(jobid)}`, { method: 'POST', headers, body });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    notice(`${action} of "${jobid}" refused (HTTP ${res.status}): ${answer.error || ''}`, 'bad');
    return;
  }
  if (action === 'sweep') {
    notice(answer.sent ? `sent the lost reduce of "${jobid}"` : `"${jobid}": no lost reduce to send`, 'good');
  } else {
    notice(`${action} of "${jobid}": done`, 'good');
  }
  if (action === 'delete' && location.hash.startsWith('#/job/')) location.hash = '#/';
  refresh();
}

// Resends the map message of one part (partid) or of every failed part (partid undefined): one
// message per part, which the server reads from the job's parts file (serve --parts-dir).
async function resend(jobid, partid) {
  const one = partid !== undefined;
  const what = one ? `part ${partid} of job "${jobid}"` : `every failed part of job "${jobid}"`;
  if (!window.confirm(`Send the map message of ${what} again?`)) return;
  const headers = { 'Content-Type': 'application/json' };
  if (token()) headers['X-Watchbot-Token'] = token();
  const which = one ? `part=${encodeURIComponent(partid)}` : 'parts=failed';
  const res = await fetch(`/api/job/resend?id=${encodeURIComponent(jobid)}&${which}`, { method: 'POST', headers });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    notice(`resend of ${what} refused (HTTP ${res.status}): ${answer.error || ''}`, 'bad');
    return;
  }
  const n = (answer.resent || []).length;
  notice(n ? `re-sent the map message${n === 1 ? '' : 's'} of ${n === 1 ? 'part' : 'parts'} ${answer.resent.join(', ')} of "${jobid}"`
    : `"${jobid}": no part to resend`, 'good');
  refresh();
}

function resendButton(jobid, partid) {
  if (!state.config || !state.config.actions || !state.config.resend) return null;
  const label = partid === undefined ? 'resend failed' : 'resend this part';
  return el('button', {
    type: 'button', class: 'action resend', dataset: { action: partid === undefined ? 'resend-failed' : 'resend-part' },
    onclick: () => resend(jobid, partid),
  }, label);
}

function renderFailures(jobid, failures) {
  const rows = failures.map((f) => el('tr', { dataset: { partid: String(f.partid) } },
    el('td', { class: 'partid' }, String(f.partid)),
    el('td', {}, f.failedForGood ? 'yes' : 'no (retried)'),
    el('td', { class: 'exit-code' }, f.exitCode === undefined ? '—' : String(f.exitCode)),
    el('td', { class: 'attempts' }, f.attempts ? String(f.attempts) : '—'),
    el('td', {}, f.failedAt ? `${new Date(f.failedAt).toLocaleString()} (${formatDuration((Date.now() - f.failedAt) / 1000)} ago)` : '—'),
    el('td', {}, f.text === undefined ? 'nothing recorded' : el('pre', { class: 'failure-text' }, f.text)),
    el('td', { class: 'actions-col' }, resendButton(jobid, f.partid))));
  $('failures').tBodies[0].replaceChildren(...rows);
  $('failures').hidden = failures.length === 0;
}

function actionButtons(jobid) {
  if (!state.config || !state.config.actions) return null;
  const span = el('span', { class: 'action-buttons' });
  for (const action of ['fail', 'sweep', 'delete']) {
    span.append(el('button', { type: 'button', class: `action ${action}`, dataset: { action }, onclick: () => act(action, jobid) }, action));
  }
  return span;
}

// ---------------------------------------------------------------------------------------------
// The job list

function renderFilters(counts) {
  const nav = $('filters');
  nav.replaceChildren();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  for (const [value, label] of [['', 'All'], ['running', 'Running'], ['stale', 'Stale'], ['complete', 'Complete'], ['failed', 'Failed']]) {
    const n = value ? counts[value] : total;
    nav.append(el('button', {
      type: 'button', class: state.filter === value ? 'active' : '', dataset: { filter: value || 'all' },
      onclick: () => { state.filter = value; state.offset = 0; refresh(); },
    }, `${label} (${n})`));
  }
}

async function showList() {
  const params = new URLSearchParams({ offset: state.offset, limit: PAGE_SIZE });
  if (state.filter) params.set('state', state.filter);
  const { ok, body } = await getJson(`/api/jobs?${params}`);
  if (!ok) { notice(body.error, 'bad'); return null; }
  renderFilters(body.counts);
  const rows = body.jobs.map((job) => el('tr', { dataset: { jobid: job.jobid, state: job.state } },
    el('td', { class: 'jobid' }, el('a', { href: jobLink(job.jobid) }, job.jobid)),
    el('td', {}, stateBadge(job)),
    el('td', {}, bar(job)),
    el('td', { class: 'parts' }, `${job.done} / ${job.total}`),
    el('td', {}, formatRate(job.rate)),
    el('td', {}, job.state === 'complete' ? 'done' : formatDuration(job.etaSeconds)),
    el('td', {}, job.lastChangeAgoSeconds === null ? '—' : `${formatDuration(job.lastChangeAgoSeconds)} ago`),
    el('td', {}, job.reduceSent ? 'sent' : '—'),
    el('td', { class: 'actions-col' }, actionButtons(job.jobid))));
  $('jobs').tBodies[0].replaceChildren(...rows);
  $('empty').hidden = body.jobs.length > 0;
  const last = Math.min(body.offset + body.jobs.length, body.matching);
  $('page-info').textContent = body.matching ? `${body.offset + 1}–${last} of ${body.matching}` : '';
  $('prev').disabled = body.offset === 0;
  $('next').disabled = last >= body.matching;
  showBackendError(body.error);
  return body.version;
}

function showBackendError(error) {
  $('backend-error').hidden = !error;
  $('backend-error').textContent = error ? `Reading the jobs failed (showing the last list read): ${error}` : '';
}

// ---------------------------------------------------------------------------------------------
// One job

function drawChart(total) {
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, left = 50, bottom = 24, top = 10, right = 10;
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = '#c9ceda';
  ctx.fillStyle = '#6b7385';
  ctx.font = '11px system-ui, sans-serif';
  ctx.beginPath();
  ctx.moveTo(left, top); ctx.lineTo(left, h - bottom); ctx.lineTo(w - right, h - bottom);
  ctx.stroke();
  const samples = state.chart.samples;
  ctx.fillText(String(total), 4, top + 8);
  ctx.fillText('0', 4, h - bottom);
  if (samples.length === 0) return;
  const t0 = samples[0].timeMs;
  const span = Math.max(1000, samples[samples.length - 1].timeMs - t0);
  ctx.fillText(`${formatDuration(span / 1000)} since the page opened`, left + 4, h - 6);
  const x = (t) => left + ((w - left - right) * (t - t0)) / span;
  const y = (d) => h - bottom - ((h - bottom - top) * d) / Math.max(1, total);
  ctx.strokeStyle = '#3b82f6';
  ctx.lineWidth = 2;
  ctx.beginPath();
  samples.forEach((s, i) => (i === 0 ? ctx.moveTo(x(s.timeMs), y(s.done)) : ctx.lineTo(x(s.timeMs), y(s.done))));
  if (samples.length === 1) ctx.lineTo(w - right, y(samples[0].done));
  ctx.stroke();
  canvas.dataset.samples = String(samples.length);
}

async function showJob(jobid) {
  const { ok, status, body } = await getJson(`/api/job?id=${encodeURIComponent(jobid)}`);
  if (!ok) {
    $('job-view').hidden = true;
    $('missing-view').hidden = false;
    $('missing-text').textContent = status === 404 ? `Job "${jobid}" does not exist (deleted, or never created).` : body.error;
    return body.version || state.version;
  }
  $('missing-view').hidden = true;
  $('job-view').hidden = false;
  const job = body.job;
  $('job-title').replaceChildren(el('span', { id: 'job-id' }, job.jobid), ' ', stateBadge(job));
  $('job-bar-row').replaceChildren(bar(job));
  const facts = [
    ['Parts done', `${job.done} / ${job.total} (${percent(job).toFixed(1)}%)`],
    ['Rate', formatRate(job.rate)],
    ['Time left', job.state === 'complete' ? 'done' : formatDuration(job.etaSeconds)],
    ['Last change', job.lastChangeMs === null ? 'not recorded' : `${new Date(job.lastChangeMs).toLocaleString()} (${formatDuration(job.lastChangeAgoSeconds)} ago)`],
    ['Reduce', job.reduceSent ? 'sent' : 'not sent'],
  ];
  $('job-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('job-actions').replaceChildren(actionButtons(job.jobid) || '');
  $('reason-box').hidden = job.state !== 'failed';
  $('reason').textContent = job.state === 'failed' ? job.reason : '';
  $('metadata').textContent = JSON.stringify(job.metadata, null, 2);
  $('failed-parts').textContent = body.failedParts.length
    ? `failed for good: ${body.failedParts.join(', ')}` : (body.failures.length ? 'none failed for good' : 'none');
  $('resend-failed-box').replaceChildren((body.failedParts.length && resendButton(job.jobid)) || '');
  renderFailures(job.jobid, body.failures);

  if (state.chart.jobid !== job.jobid) state.chart = { jobid: job.jobid, samples: [] };
  const last = state.chart.samples[state.chart.samples.length - 1];
  if (!last || last.done !== job.done) state.chart.samples.push({ timeMs: Date.now(), done: job.done });
  drawChart(job.total);

  const params = new URLSearchParams({ id: jobid, offset: state.pendingOffset, limit: 200 });
  const pending = await getJson(`/api/job/pending?${params}`);
  if (pending.ok) {
    const p = pending.body;
    $('pending-parts').textContent = p.parts.length ? p.parts.join(', ') : 'none';
    const end = Math.min(p.offset + p.parts.length, p.matching);
    $('pending-info').textContent = p.matching ? `${p.offset + 1}–${end} of ${p.matching}` : '';
    $('pending-prev').disabled = p.offset === 0;
    $('pending-next').disabled = end >= p.matching;
  }
  return body.version;
}

// ---------------------------------------------------------------------------------------------
// Routing and refreshing

function route() {
  const hash = location.hash || '#/';
  if (hash.startsWith('#/job/')) return { view: 'job', jobid: decodeURIComponent(hash.slice(6)) };
  return { view: 'list' };
}

// Re-reads what the current view shows; called on every server-sent update. One read at a time: an
// update that arrives meanwhile causes one more read after it.
async function refresh() {
  if (state.refreshing) { state.again = true; return; }
  state.refreshing = true;
  try {
    do {
      state.again = false;
      const r = route();
      $('list-view').hidden = r.view !== 'list';
      if (r.view !== 'job') $('job-view').hidden = $('missing-view').hidden = true;
      const version = r.view === 'job' ? await showJob(r.jobid) : await showList();
      if (version) state.version = version;
      document.body.dataset.version = String(state.version);
      document.body.dataset.rendered = r.view;
    } while (state.again);
  } catch (e) {
    notice(`cannot reach the dashboard server: ${e.message}`, 'bad');
  } finally {
    state.refreshing = false;
  }
}

function connect() {
  const events = new EventSource('/api/events');
  events.addEventListener('update', (e) => {
    const data = JSON.parse(e.data);
    $('connection').textContent = `live · updated ${new Date(data.timeMs).toLocaleTimeString()}`;
    refresh();
  });
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.CLOSED) {
      $('connection').textContent = 'reconnecting…';
      return;
    }
    // Refused (503 when too many pages are open): the browser gives up, so try again later.
    $('connection').textContent = 'not live (too many open pages?): retrying in 30 s';
    setTimeout(connect, 30000);
  });
}

async function start() {
  // serve prints the URL with #token=...: keep the token for this tab and take it out of the address.
  const match = /^#token=([0-9a-f]+)$/.exec(location.hash);
  if (match) {
    sessionStorage.setItem('watchbot-token', match[1]);
    history.replaceState(null, '', `${location.pathname}#/`);
  }
  const { body } = await getJson('/api/config');
  state.config = body;
  $('database').textContent = body.database;
  document.body.classList.toggle('actions', !!body.actions);
  document.body.classList.toggle('resend', !!body.resend);
  $('token-bar').hidden = !body.actions;
  $('token').value = token();
  $('token').addEventListener('change', (e) => sessionStorage.setItem('watchbot-token', e.target.value.trim()));
  $('prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); refresh(); });
  $('next').addEventListener('click', () => { state.offset += PAGE_SIZE; refresh(); });
  $('pending-prev').addEventListener('click', () => { state.pendingOffset = Math.max(0, state.pendingOffset - 200); refresh(); });
  $('pending-next').addEventListener('click', () => { state.pendingOffset += 200; refresh(); });
  window.addEventListener('hashchange', () => { state.pendingOffset = 0; notice(''); refresh(); });
  await refresh();
  connect();
}

start();
