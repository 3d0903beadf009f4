// The page's logic: plain JavaScript calling the REST routes (docs/REST.md); charts from charts.js.
'use strict';
const $ = (id) => document.getElementById(id);
const keyInput = $('api-key');
keyInput.value = sessionStorage.getItem('platform-api-key') || '';
keyInput.addEventListener('change', () => sessionStorage.setItem('platform-api-key', keyInput.value));

/** Calls a REST route; throws Error(message) with the google.rpc.Status message on an error status. */
async function api(path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (keyInput.value) headers['x-api-key'] = keyInput.value;
  const response = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch { /* not JSON */ }
  if (!response.ok) {
    const why = response.status === 401 ? 'authentication required: enter an API key above'
      : response.status === 429 ? 'rate limit reached: retry in a moment' : json?.message || text;
    throw new Error(`${response.status}: ${why}`);
  }
  return json;
}

function status(id, text, error = false) {
  const s = $(id);
  s.textContent = text;
  s.classList.toggle('error', error);
}

function chipBoxes(container, devices, checked) {
  container.replaceChildren(...devices.map((d) => {
    const label = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: d.id,
      checked: checked.includes(d.id) });
    label.append(box, ` ${d.id}`);
    label.title = `${d.name}: ${d.hbmGb} GB, ${d.peakTflops?.bf16 ?? 0} BF16 TFLOPS`;
    return label;
  }));
}
const chosenChips = (container) => [...container.querySelectorAll('input:checked')].map((b) => b.value);

function fillSelect(select, values, selected) {
  select.replaceChildren(...values.map(([value, text]) => new Option(text, value, false, value === selected)));
}

function table(headers, rows) {
  const t = document.createElement('table');
  t.createTHead().insertRow().append(...headers.map((h) => Object.assign(document.createElement('th'),
    { textContent: h })));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) {
      const td = tr.insertCell();
      td.textContent = typeof cell === 'number' ? Charts.format(cell) : cell;
      if (typeof cell === 'number') td.className = 'num';
    }
  }
  return t;
}

async function load() {
  try {
    const [devices, presets, traces] = await Promise.all([api('/api/v1/devices?pageSize=100'),
      api('/api/v1/model-presets'), api('/api/v1/traces')]);
    const models = presets.presets.map((p) => [p.id, p.displayName || p.id]);
    fillSelect($('training-model'), models, 'llama-3.1-8b');
    fillSelect($('inference-model'), models, 'llama-3.1-8b');
    chipBoxes($('training-chips'), devices.devices, ['h100-sxm', 'h800', 'b200']);
    chipBoxes($('inference-chips'), devices.devices, ['h100-sxm', 'h800']);
    fillSelect($('inference-workload'), [['synthetic', 'synthetic (Poisson, 512-token prompts, 128 out)'],
      ...traces.traces.map((t) => [t.name, `trace: ${t.name}`])], 'synthetic');
    status('training-status', 'Ready.');
    status('inference-status', 'Ready.');
    refreshJobs();
  } catch (e) {
    status('training-status', e.message, true);
    status('inference-status', e.message, true);
  }
}

$('training-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const chips = chosenChips($('training-chips'));
  if (chips.length === 0) return status('training-status', 'Pick at least one chip.', true);
  const button = $('training-run');
  button.disabled = true;
  status('training-status', `Estimating on ${chips.join(', ')}…`);
  try {
    const r = await api('/api/v1/training:compareAccelerators', {
      run: { model: { preset: $('training-model').value }, trainingTokens: $('training-tokens').value,
        sequenceLength: '4096', cluster: { accelerator: chips[0], count: $('training-count').value } },
      accelerators: chips,
    });
    const item = (f) => r.results.map((x) => ({ label: x.accelerator, value: x.fits ? f(x.estimate) : NaN,
      note: x.reason }));
    $('training-results').replaceChildren(
      Charts.bars('Wall-clock time', 'days', item((e) => e.wallClockDays)),
      Charts.bars('Cost', 'USD', item((e) => e.costUsd)),
      Charts.bars('Model FLOPs utilization', '%', item((e) => 100 * e.modelFlopsUtilization)),
      table(['Chip', 'Fits', 'Plan', 'Days', 'Cost, USD', 'MFU', 'Energy, MWh'], r.results.map((x) => [
        x.accelerator, x.fits ? 'yes' : `no: ${x.reason}`,
        x.fits ? `TP${x.estimate.plan.tensorParallel} PP${x.estimate.plan.pipelineParallel} `
          + `DP${x.estimate.plan.dataParallel}` : '',
        x.fits ? x.estimate.wallClockDays : NaN, x.fits ? x.estimate.costUsd : NaN,
        x.fits ? x.estimate.modelFlopsUtilization : NaN, x.fits ? x.estimate.energyMwh : NaN])));
    status('training-status', `Compared ${r.results.length} chips.`);
  } catch (e) {
    status('training-status', e.message, true);
  } finally {
    button.disabled = false;
  }
});

function workload() {
  const requests = $('inference-requests').value;
  const w = $('inference-workload').value;
  return w === 'synthetic'
    ? { synthetic: { arrival: 'ARRIVAL_POISSON', ratePerSecond: Number($('inference-rate').value) || 4,
      requests, seed: '1', promptTokens: { fixed: '512' }, outputTokens: { fixed: '128' } } }
    : { trace: w, maxRequests: requests };
}
const slo = () => ({ ttftMs: Number($('inference-ttft').value), tpotMs: Number($('inference-tpot').value) });

$('inference-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const chips = chosenChips($('inference-chips'));
  if (chips.length === 0) return status('inference-status', 'Pick at least one chip.', true);
  const button = $('simulate-run');
  button.disabled = true;
  status('inference-status', `Simulating on ${chips.join(', ')}…`);
  try {
    const model = { preset: $('inference-model').value };
    const runs = await Promise.all(chips.map((accelerator) => api('/api/v1/inference:simulate', {
      model, deployment: { accelerator, replicas: 1, tensorParallel: 1 }, workload: workload(), slo: slo(),
    }).then((r) => ({ accelerator, r }), (e) => ({ accelerator, error: e.message }))));
    const item = (f) => runs.map((x) => ({ label: x.accelerator, value: x.r ? f(x.r) : NaN, note: x.error }));
    $('simulation-results').replaceChildren(
      Charts.bars('TTFT p99', 'ms', item((r) => r.metrics.ttftMs.p99)),
      Charts.bars('TPOT p99', 'ms', item((r) => r.metrics.tpotMs.p99)),
      Charts.bars('Goodput', 'req/s', item((r) => r.metrics.goodput)),
      Charts.bars('Cost', 'USD per million output tokens', item((r) => r.cost.usdPerMillionOutputTokens)),
      Charts.lines('KV cache utilization over the run', 'simulated s', 'share', runs.filter((x) => x.r)
        .map((x) => ({ name: x.accelerator, points: x.r.timeline.map((p) => [p.startSeconds,
          p.kvCacheUtilization]) }))),
      table(['Chip', 'Requests', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'SLO attainment', 'Note'], runs.map((x) =>
        x.r ? [x.accelerator, Number(x.r.completedRequests), x.r.metrics.ttftMs.p50, x.r.metrics.ttftMs.p99,
          x.r.metrics.tpotMs.p50, x.r.metrics.sloAttainment, (x.r.notes || [])[0] || '']
          : [x.accelerator, NaN, NaN, NaN, NaN, NaN, x.error])));
    status('inference-status', `Simulated ${runs.length} chips.`);
  } catch (e) {
    status('inference-status', e.message, true);
  } finally {
    button.disabled = false;
  }
});

$('plan-run').addEventListener('click', async () => {
  const chips = chosenChips($('inference-chips'));
  if (chips.length === 0) return status('inference-status', 'Pick at least one chip.', true);
  try {
    const { jobId } = await api('/api/v1/inference:submitCapacityPlan', { plan: {
      model: { preset: $('inference-model').value }, workload: workload(),
      targetRequestsPerSecond: Number($('inference-rate').value), slo: slo(),
      candidates: { accelerators: chips }, maxAccelerators: 16,
    } });
    status('inference-status', `Capacity plan queued as job ${jobId}; its progress is under Jobs.`);
    watch(jobId, showPlan);
  } catch (e) {
    status('inference-status', e.message, true);
  }
});

function showPlan(job) {
  const plan = job.capacityPlan;
  const options = plan.bestPerAccelerator.length ? plan.bestPerAccelerator : (plan.closest ? [plan.closest] : []);
  $('plan-results').replaceChildren(
    Charts.bars('Cheapest deployment per chip', 'USD per hour', options.map((o) => ({ label: o.layout,
      value: o.costPerHourUsd }))),
    table(['Layout', 'Accelerators', 'Meets SLO', 'TTFT p99', 'TPOT p99', 'USD/hour', 'USD per M output tokens'],
      options.map((o) => [o.layout, o.acceleratorCount, o.meetsSlo ? 'yes' : 'no', o.ttftP99Ms, o.tpotP99Ms,
        o.costPerHourUsd, o.costPerMillionOutputTokensUsd])));
  status('inference-status', plan.sloMet ? `Capacity plan done: ${plan.simulations} simulations.`
    : 'Capacity plan done: no candidate meets the SLOs; the closest is shown.');
}

// Jobs: every job this page submitted is followed over GET /api/v1/jobs/{id}/events, server-sent events that relay
// JobService.WatchJob: the current snapshot, then one event per change (progress, state) until the job finishes.
const watched = new Map();
const finished = (state) => ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'].includes(state);

function jobRow(job) {
  let row = document.querySelector(`#jobs-table tr[data-job="${job.jobId}"]`);
  if (!row) {
    row = $('jobs-table').tBodies[0].insertRow(0);
    row.dataset.job = job.jobId;
    for (let i = 0; i < 5; i++) row.insertCell();
    row.cells[3].append(Object.assign(document.createElement('progress'), { max: 1 }));
  }
  row.dataset.state = job.state;
  row.dataset.updates = String(Number(row.dataset.updates || 0) + 1);
  row.cells[0].textContent = job.jobId.slice(0, 8);
  row.cells[0].title = job.jobId;
  row.cells[1].textContent = job.kind;
  row.cells[2].textContent = job.state.replace('JOB_STATE_', '').toLowerCase();
  row.cells[3].firstChild.value = job.progress || (job.state === 'JOB_STATE_SUCCEEDED' ? 1 : 0);
  row.cells[4].textContent = job.error ? `${job.error.code}: ${job.error.reason}` : job.message;
}

/** Reads the job's event stream, showing each snapshot; resolves with the last one when the stream ends. */
async function streamJob(jobId) {
  const headers = { accept: 'text/event-stream' };
  if (keyInput.value) headers['x-api-key'] = keyInput.value;
  const response = await fetch(`/api/v1/jobs/${encodeURIComponent(jobId)}/events`, { headers });
  if (!response.ok) {
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    const error = new Error(`${response.status}: ${json?.message || text}`);
    error.status = response.status;
    throw error;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      // An error event (the host stopping) ends this stream; the caller reconnects or reports it.
      if (!data || lines.includes('event: error')) continue;
      last = JSON.parse(data).job;
      jobRow(last);
    }
  }
}

/** Polls GET /api/v1/jobs/{id}: only when the host has no watch left for this page (429), as WatchJob advises. */
async function pollJob(jobId) {
  for (;;) {
    const { job } = await api(`/api/v1/jobs/${encodeURIComponent(jobId)}`);
    jobRow(job);
    if (finished(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function watch(jobId, onSuccess) {
  watched.set(jobId, onSuccess);
  try {
    let job = null;
    // A stream that ends before the job does (the host restarting, the network) is opened again: its first event is
    // the current snapshot, so nothing is missed.
    for (let attempt = 0; attempt < 5 && !(job && finished(job.state)); attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        job = (await streamJob(jobId)) ?? job;
      } catch (e) {
        if (e.status !== 429) throw e;
        job = await pollJob(jobId);
      }
    }
    if (!job || !finished(job.state)) throw new Error(`lost the stream of job ${jobId}; press Refresh`);
    watched.delete(jobId);
    if (job.state === 'JOB_STATE_SUCCEEDED') onSuccess(job);
    else status('inference-status', `Job ${jobId} ended ${job.state}: ${job.error?.reason ?? ''}`, true);
  } catch (e) {
    status('inference-status', e.message, true);
  }
}

async function refreshJobs() {
  try {
    const { jobs } = await api('/api/v1/jobs?pageSize=20');
    for (const job of jobs.slice().reverse()) jobRow(job);
  } catch (e) {
    status('training-status', e.message, true);
  }
}
$('jobs-refresh').addEventListener('click', refreshJobs);
load();
