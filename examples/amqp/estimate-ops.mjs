// A pipeline outside .NET talking to the platform over RabbitMQ: sends an EstimateOpsCommand in
// MassTransit's JSON envelope and prints the emulator's reply (OpsEstimated or CommandRejected).
// Usage: RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672/ node examples/amqp/estimate-ops.mjs [device]
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';

const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const device = process.argv[2] ?? 'h800';
const exchange = 'Platform.Contracts.Messaging:EstimateOpsCommand';

const conn = await amqp.connect(url);
const ch = await conn.createChannel();
// Our reply queue. MassTransit sends the reply to the exchange of the same name, bound to this queue.
const replyQueue = `pipeline-${randomUUID()}`;
await ch.assertQueue(replyQueue, { durable: false, autoDelete: true });
await ch.assertExchange(replyQueue, 'fanout', { durable: false, autoDelete: true });
await ch.bindQueue(replyQueue, replyQueue, '');

const host = new URL(url).hostname;
const requestId = randomUUID();
const envelope = {
  messageId: randomUUID(),
  requestId,
  sourceAddress: `rabbitmq://${host}/${replyQueue}?temporary=true`,
  responseAddress: `rabbitmq://${host}/${replyQueue}?temporary=true`,
  destinationAddress: `rabbitmq://${host}/${exchange}`,
  messageType: ['urn:message:Platform.Contracts.Messaging:EstimateOpsCommand'],
  message: {
    jobId: randomUUID(),
    device,
    opsJson: [JSON.stringify({ name: 'qkv', dtype: 'DTYPE_BF16', gemm: { m: 4096, n: 6144, k: 4096 } })],
  },
  sentTime: new Date().toISOString(),
};

const reply = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no reply within 30 s')), 30000);
  ch.consume(replyQueue, (msg) => {
    const body = JSON.parse(msg.content.toString());
    if (body.requestId !== requestId) return;
    clearTimeout(timer);
    resolve({ type: body.messageType[0], message: body.message });
  }, { noAck: true });
});
ch.publish(exchange, '', Buffer.from(JSON.stringify(envelope)), {
  contentType: 'application/vnd.masstransit+json', messageId: envelope.messageId, persistent: true,
});
try {
  console.log(JSON.stringify(await reply));
} finally {
  await ch.close();
  await conn.close();
}
