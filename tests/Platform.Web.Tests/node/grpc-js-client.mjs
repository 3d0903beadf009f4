// A gRPC client in another language: Node.js with @grpc/grpc-js, the service definitions loaded at run time from
// protos/ by @grpc/proto-loader (no generated code). It calls every service of a running host and prints one JSON
// line per call, then a summary line; it exits non-zero when an answer is not what a client relies on.
//
//   node tests/Platform.Web.Tests/node/grpc-js-client.mjs 127.0.0.1:5080
//
// PLATFORM_API_KEY, when set, is sent as x-api-key metadata (hosts with Auth:Enabled).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const address = process.argv[2] ?? '127.0.0.1:5080';
const definition = protoLoader.loadSync(
  ['emulator', 'training', 'inference', 'jobs'].map((s) => `platform/${s}/v1/${s}.proto`),
  { includeDirs: [path.join(root, 'protos')], longs: String, enums: String, defaults: true, oneofs: true },
);
const platform = grpc.loadPackageDefinition(definition).platform;
const credentials = grpc.credentials.createInsecure();
const clients = {
  emulator: new platform.emulator.v1.EmulatorService(address, credentials),
  training: new platform.training.v1.TrainingCostService(address, credentials),
  inference: new platform.inference.v1.InferenceSchedulerService(address, credentials),
  jobs: new platform.jobs.v1.JobService(address, credentials),
};

function metadata() {
  const m = new grpc.Metadata();
  if (process.env.PLATFORM_API_KEY) m.set('x-api-key', process.env.PLATFORM_API_KEY);
  return m;
}

/** Calls client.method(request); resolves with { response } or { error: { code, details } }. */
function call(client, method, request) {
  return new Promise((resolve) => {
    client[method](request, metadata(), { deadline: Date.now() + 30_000 }, (error, response) =>
      resolve(error ? { error: { code: grpc.status[error.code], details: error.details } } : { response }));
  });
}

const failures = [];
function check(name, ok, detail) {
  console.log(JSON.stringify({ check: name, ok, detail }));
  if (!ok) failures.push(name);
}

const devices = await call(clients.emulator, 'ListDevices', { pageSize: 100 });
const ids = devices.response?.devices.map((d) => d.id) ?? [];
check('emulator.ListDevices', ids.includes('h100-sxm'), devices.error ?? `${ids.length} devices`);

const device = await call(clients.emulator, 'GetDevice', { id: 'h800' });
check('emulator.GetDevice', device.response?.device.hbmGb > 0, device.error ?? device.response.device.name);

const unknown = await call(clients.emulator, 'GetDevice', { id: 'H100' });
check('emulator.GetDevice NOT_FOUND suggests h100-sxm',
  unknown.error?.code === 'NOT_FOUND' && unknown.error.details.includes('h100-sxm'), unknown.error?.details);

const presets = await call(clients.training, 'ListModelPresets', {});
check('training.ListModelPresets', presets.response?.presets.some((p) => p.id === 'llama-3.1-8b'),
  presets.error ?? `${presets.response.presets.length} presets`);

const run = {
  model: { preset: 'llama-3.1-8b' }, trainingTokens: '1000000000000', sequenceLength: '4096',
  cluster: { accelerator: 'h100-sxm', count: '64' },
  parallelism: { tensorParallel: 8, pipelineParallel: 1, dataParallel: 8 }, // a fixed plan: no search
};
const estimate = await call(clients.training, 'EstimateTrainingRun', run); // the run's fields at the top level
check('training.EstimateTrainingRun', estimate.response?.wallClockDays > 0,
  estimate.error ?? `${estimate.response?.wallClockDays} days`);
const wrapped = await call(clients.training, 'EstimateTrainingRun', { run });
check('training.EstimateTrainingRun with the run wrapped as run',
  wrapped.response?.wallClockDays === estimate.response?.wallClockDays,
  wrapped.error ?? `${wrapped.response?.wallClockDays} days`);
const both = await call(clients.training, 'EstimateTrainingRun', { ...run, run });
check('training.EstimateTrainingRun with both shapes is INVALID_ARGUMENT naming run',
  both.error?.code === 'INVALID_ARGUMENT' && /^run: /.test(both.error.details), both.error ?? 'answered');

const traces = await call(clients.inference, 'ListTraces', {});
check('inference.ListTraces', traces.response?.traces.length > 0,
  traces.error ?? traces.response.traces.map((t) => t.name).join(', '));

const simulation = await call(clients.inference, 'SimulateWorkload', {
  model: { preset: 'llama-3.1-8b' },
  deployment: { accelerator: 'h100-sxm', replicas: 1, tensorParallel: 1 },
  workload: {
    synthetic: { arrival: 'ARRIVAL_POISSON', ratePerSecond: 4, requests: '20', seed: '1',
      promptTokens: { fixed: '256' }, outputTokens: { fixed: '32' } },
  },
  slo: { ttftMs: 2000, tpotMs: 100 },
});
check('inference.SimulateWorkload', simulation.response?.completedRequests === '20',
  simulation.error ?? `${simulation.response?.completedRequests} requests completed`);

const submitted = await call(clients.training, 'SubmitEstimateJob', { run });
const jobId = submitted.response?.jobId;
check('training.SubmitEstimateJob', typeof jobId === 'string' && jobId.length > 0, submitted.error ?? jobId);

let job;
for (let i = 0; i < 120 && jobId; i++) {
  job = await call(clients.jobs, 'GetJob', { jobId });
  if (job.error || ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'].includes(job.response.job.state))
    break;
  await new Promise((r) => setTimeout(r, 250));
}
check('jobs.GetJob', job?.response?.job.state === 'JOB_STATE_SUCCEEDED', job?.error ?? job?.response?.job.state);

const listed = await call(clients.jobs, 'ListJobs', { pageSize: 10 });
check('jobs.ListJobs', listed.response?.jobs.some((j) => j.jobId === jobId), listed.error ?? 'listed');

for (const c of Object.values(clients)) c.close();
console.log(JSON.stringify({ passed: failures.length === 0, failures }));
process.exit(failures.length === 0 ? 0 : 1);
