// A pipeline outside .NET running a training-cost job over RabbitMQ: publishes RunTrainingJob (the run as
// proto3 JSON of platform.training.v1.TrainingRunSpec) and waits for the TrainingJobCompleted event every
// training instance publishes, printing it with its result parsed.
// Usage: RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/ node examples/amqp/training-job.mjs [preset] [accelerator] [count]
import { randomUUID } from 'node:crypto';
import { connect, publish, receive, temporaryQueue } from './masstransit.mjs';

const [preset = 'llama-3.1-8b', accelerator = 'h100-sxm', count = '64'] = process.argv.slice(2);
// proto3 JSON of platform.training.v1.TrainingRunSpec: what SubmitEstimateJob carries as its `run` field.
// A failed job reports errorField as in that request, e.g. "run.cluster.count".
const runSpec = {
  model: { preset },
  trainingTokens: '1000000000000',
  sequenceLength: 8192,
  cluster: { accelerator, count: Number(count) },
  pricePerAcceleratorHourUsd: 2.0,
};
const bus = await connect();
try {
  // Subscribe to completion events before starting the job, so the event cannot be missed.
  const events = await temporaryQueue(bus.ch, 'Platform.Contracts.Messaging:TrainingJobCompleted');
  const jobId = randomUUID();
  const done = receive(bus.ch, events, (body) => body.message?.jobId === jobId, 60000);
  publish(bus.ch, bus.host, 'RunTrainingJob', { jobId, kind: 'estimate', runSpecJson: JSON.stringify(runSpec), topK: 0 });
  const { type, message } = await done;
  console.log(JSON.stringify({ type, ...message, result: message.resultJson ? JSON.parse(message.resultJson) : null }));
} finally {
  await bus.close();
}
