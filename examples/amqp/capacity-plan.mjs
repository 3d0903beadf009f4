// A pipeline outside .NET running a serving capacity plan over RabbitMQ: publishes RunCapacityPlan (the plan as
// proto3 JSON of platform.inference.v1.PlanCapacityRequest) and waits for the CapacityPlanCompleted event the
// inference instance running it publishes, printing the options (cheapest first) of its result.
// Usage: RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/ node examples/amqp/capacity-plan.mjs [rate] [accelerators]
import { randomUUID } from 'node:crypto';
import { connect, publish, receive, temporaryQueue } from './masstransit.mjs';

const [rate = '20', accelerators = 'h100-sxm,a100-80gb'] = process.argv.slice(2);
// proto3 JSON of platform.inference.v1.PlanCapacityRequest: what PlanCapacity takes. A failed job reports
// errorField as in this plan, e.g. "candidates.accelerators[0]".
const plan = {
  model: { preset: 'llama-3.1-8b' },
  workload: {
    synthetic: {
      arrival: 'ARRIVAL_POISSON', ratePerSecond: Number(rate), requests: 600, seed: 1,
      promptTokens: { fixed: 1024 }, outputTokens: { fixed: 256 },
    },
  },
  targetRequestsPerSecond: Number(rate),
  slo: { ttftMs: 1000, tpotMs: 50 },
  sloAttainment: 0.9,
  candidates: { accelerators: accelerators.split(','), tensorParallel: [1, 2] },
  maxAccelerators: 16,
};
const bus = await connect();
try {
  // Subscribe to completion events before starting the plan, so the event cannot be missed.
  const events = await temporaryQueue(bus.ch, 'Platform.Contracts.Messaging:CapacityPlanCompleted');
  const jobId = randomUUID();
  const done = receive(bus.ch, events, (body) => body.message?.jobId === jobId, 300000);
  publish(bus.ch, bus.host, 'RunCapacityPlan', { jobId, planJson: JSON.stringify(plan) });
  const { type, message } = await done;
  const result = message.resultJson ? JSON.parse(message.resultJson) : null;
  console.log(JSON.stringify({
    type, jobId: message.jobId, succeeded: message.succeeded, errorField: message.errorField,
    errorReason: message.errorReason, simulations: result?.simulations,
    options: result?.options?.map((o) => ({
      layout: o.layout, replicas: o.deployment?.replicas, accelerators: o.acceleratorCount,
      costPerHourUsd: o.costPerHourUsd, sloAttainment: o.sloAttainment,
    })),
  }));
} finally {
  await bus.close();
}
