// Tributary's console, in the browser: asks for the admin key (kept in this tab's sessionStorage only), reads the
// live tail from GET /admin/tail (server-sent events, read with fetch so the key goes in a header), and the overview
// (counts per minute, rejection samples, lag, regulations) from GET /admin/overview every 5 seconds. Text is put into
// the page as text, never as HTML: a sample is whatever a producer sent.
'use strict';

const KEY = 'tributary-admin-key';
const MAX_TAIL_ROWS = 500;
const SERIES = [
  ['gateway', 'accepted', '#1d6b35'],
  ['gateway', 'duplicate', '#7a7f8c'],
  ['gateway', 'rejected', '#a3261b'],
  ['gateway', 'dropped', '#c47f00'],
  ['sink', 'stored', '#2156a5'],
];
const $ = (id) => document.getElementById(id);
let tailing;
const charts = new Map();

const headers = () => ({ authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ''}` });

/** A table row of text cells; `classes` names a cell's class by its index. */
function row(cells, classes = {}) {
  const tr = document.createElement('tr');
  cells.forEach((cell, i) => {
    const td = document.createElement('td');
    if (cell instanceof Node) td.append(cell);
    else td.textContent = String(cell ?? '');
    if (classes[i]) td.className = classes[i];
    tr.append(td);
  });
  return tr;
}

async function getJson(path) {
  const response = await fetch(path, { headers: headers() });
  if (response.status === 401) throw new Error('the admin key was refused');
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function showTailLine(line) {
  const rows = $('tail-rows');
  rows.prepend(row([line.ts, line.source, line.event_id, line.call, line.name, line.status, line.reason, line.seq], { 5: `status-${line.status}` }));
  while (rows.children.length > MAX_TAIL_ROWS) rows.lastElementChild.remove();
}

async function startTail() {
  const params = new URLSearchParams();
  for (const [field, value] of new FormData($('tail-form'))) if (value !== '') params.set(field, String(value));
  const controller = new AbortController();
  tailing = controller;
  $('tail-toggle').textContent = 'Stop';
  $('tail-state').textContent = 'tailing';
  try {
    const response = await fetch(`/admin/tail?${params}`, { headers: headers(), signal: controller.signal });
    if (!response.ok) throw new Error(`the tail is not served here (HTTP ${response.status})`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (data === undefined) continue;
        const parsed = JSON.parse(data.slice(6));
        if (event.startsWith('event: skipped')) $('tail-state').textContent = `skipped ${parsed.skipped} records above the rate`;
        else showTailLine(parsed);
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) $('tail-state').textContent = error.message;
  } finally {
    if (tailing === controller) stopTail();
  }
}

function stopTail() {
  tailing?.abort();
  tailing = undefined;
  $('tail-toggle').textContent = 'Start';
  if ($('tail-state').textContent === 'tailing') $('tail-state').textContent = 'stopped';
}

/** One chart per source: minutes on x, one series per measure. */
function drawCharts(counts) {
  const bySource = new Map();
  for (const c of counts) {
    if (!bySource.has(c.source_id)) bySource.set(c.source_id, new Map());
    const minutes = bySource.get(c.source_id);
    const minute = Number(c.minute);
    if (!minutes.has(minute)) minutes.set(minute, {});
    minutes.get(minute)[`${c.stage}/${c.measure}`] = Number(c.count);
  }
  // Every minute of the last hour, so a quiet minute shows as 0 and the axis is always the hour.
  const last = Math.floor(Date.now() / 60_000) * 60;
  const xs = Array.from({ length: 61 }, (_, i) => last - (60 - i) * 60);
  for (const [source, minutes] of bySource) {
    const data = [xs, ...SERIES.map(([stage, measure]) => xs.map((x) => minutes.get(x)?.[`${stage}/${measure}`] ?? 0))];
    let chart = charts.get(source);
    if (chart === undefined) {
      const box = document.createElement('div');
      box.className = 'chart';
      const title = document.createElement('h3');
      title.textContent = source;
      box.append(title);
      $('charts').append(box);
      const series = [{}, ...SERIES.map(([, measure, stroke]) => ({ label: measure, stroke, width: 2 }))];
      chart = new uPlot({ width: 560, height: 220, series, scales: { x: { time: true } } }, data, box);
      charts.set(source, chart);
    } else {
      chart.setData(data);
    }
  }
}

function showRejections(samples) {
  $('rejections').replaceChildren(
    ...samples.map((s) => {
      const list = document.createElement('span');
      for (const v of JSON.parse(s.violations)) {
        const item = document.createElement('span');
        item.className = 'violation';
        item.textContent = `${v.field || '(record)'}: ${v.reason} — ${v.message}`;
        list.append(item);
      }
      return row([s.received_at, s.source_id, s.event_id, list, s.transport, `${s.ip} ${s.user_agent}`]);
    }),
  );
}

async function refresh() {
  try {
    const overview = await getJson('/admin/overview?since=1h');
    if (overview === undefined) {
      $('overview-state').textContent = 'Counts, samples and lag are served where the sink runs.';
      return;
    }
    drawCharts(overview.counts);
    $('lag').textContent = `sink ${overview.lag.sink} · identity ${overview.lag.identity} · accounting ${overview.lag.accounting} messages not yet handled`;
    showRejections(overview.rejections);
    $('regulations').replaceChildren(...overview.regulations.map((r) => row([r.created_at, r.regulation_id, r.type, r.status, r.covered_ids, r.stream_messages_erased])));
    $('overview-state').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $('overview-state').textContent = error.message;
  }
}

$('key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $('admin-key').value);
  $('admin-key').value = '';
  void openConsole();
});

$('tail-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (tailing === undefined) void startTail();
  else stopTail();
});

let timer;
async function openConsole() {
  if (sessionStorage.getItem(KEY) === null) return;
  const check = await fetch('/admin/overview?since=1m', { headers: headers() });
  if (check.status === 401 || check.status === 429) {
    sessionStorage.removeItem(KEY);
    $('key-state').textContent = check.status === 401 ? 'the admin key was refused' : 'too many refused keys: wait and try again';
    return;
  }
  $('key-state').textContent = 'open';
  $('console').hidden = false;
  await refresh();
  clearInterval(timer);
  timer = setInterval(refresh, 5_000);
}

void openConsole();
