// A pipeline outside .NET talking to the platform over RabbitMQ: sends an EstimateOpsCommand in
// MassTransit's JSON envelope and prints the emulator's reply (OpsEstimated or CommandRejected).
// Usage: RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/ node examples/amqp/estimate-ops.mjs [device]
import { randomUUID } from 'node:crypto';
import { connect, publish, receive, temporaryQueue } from './masstransit.mjs';

const device = process.argv[2] ?? 'h800';
const bus = await connect();
try {
  // Our reply queue: MassTransit sends the reply to the exchange of the same name, bound to it.
  const replyQueue = await temporaryQueue(bus.ch);
  const requestId = randomUUID();
  const reply = receive(bus.ch, replyQueue, (body) => body.requestId === requestId);
  publish(bus.ch, bus.host, 'EstimateOpsCommand', {
    jobId: randomUUID(),
    device,
    opsJson: [JSON.stringify({ name: 'qkv', dtype: 'DTYPE_BF16', gemm: { m: 4096, n: 6144, k: 4096 } })],
  }, { requestId, replyQueue });
  console.log(JSON.stringify(await reply));
} finally {
  await bus.close();
}
