// Sends poison messages straight to one receive endpoint of the platform (its queue's own exchange, so no other
// consumer of the message type sees them), then a valid training job, and reports where each ended up:
//   1. a body that is not JSON at all,
//   2. a RunTrainingJob envelope whose fields have the wrong types,
//   3. an envelope of a message type nobody consumes.
// Prints one JSON line: { valid: <TrainingJobCompleted>, error: [...], skipped: [...] } with each dead-lettered
// message's id and MassTransit's reason headers. Deletes the endpoint's _error and _skipped queues afterwards.
// Usage: RABBITMQ_URL=amqp://... node tests/Platform.IntegrationTests/poison-messages.mjs <queue>
import { randomUUID } from 'node:crypto';
import { connect, receive, temporaryQueue } from '../../examples/amqp/masstransit.mjs';

const [queue] = process.argv.slice(2);
if (!queue) throw new Error('usage: poison-messages.mjs <queue>');
const NS = 'Platform.Contracts.Messaging';
const bus = await connect();

function send(body, messageId = randomUUID()) {
  bus.ch.publish(queue, '', Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)), {
    contentType: 'application/vnd.masstransit+json', messageId, persistent: true,
  });
  return messageId;
}

function envelope(type, message) {
  const messageId = randomUUID();
  return {
    messageId,
    destinationAddress: `rabbitmq://${bus.host}/${queue}`,
    messageType: [`urn:message:${NS}:${type}`],
    message,
    sentTime: new Date().toISOString(),
  };
}

/**
 * Takes every message off `name` (basic.get), until `wanted` ids were seen or `timeoutMs` passed. MassTransit creates
 * the queue when it first moves a message there, and a get on a missing queue closes the channel: each miss gets a
 * fresh channel.
 */
async function drain(name, wanted, timeoutMs = 30000) {
  const found = [];
  const deadline = Date.now() + timeoutMs;
  let ch = await bus.conn.createChannel();
  ch.on('error', () => {});
  while (Date.now() < deadline && !wanted.every((id) => found.some((f) => f.messageId === id))) {
    const msg = await ch.get(name, { noAck: true }).catch(async () => {
      ch = await bus.conn.createChannel();
      ch.on('error', () => {});
      return false;
    });
    if (!msg) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const h = msg.properties.headers ?? {};
    found.push({
      messageId: msg.properties.messageId,
      reason: String(h['MT-Reason'] ?? ''),
      fault: String(h['MT-Fault-Message'] ?? h['MT-Fault-ExceptionType'] ?? ''),
      retries: Number(h['MT-Fault-RetryCount'] ?? 0),
    });
  }
  return found;
}

try {
  const events = await temporaryQueue(bus.ch, `${NS}:TrainingJobCompleted`);
  const notJson = send(Buffer.from('this is not JSON {'));
  const wrongTypes = envelope('RunTrainingJob', { jobId: 'not-a-guid', kind: 42, topK: 'many', runSpecJson: 7 });
  send(wrongTypes, wrongTypes.messageId);
  const unknown = envelope('NoSuchCommand', { jobId: randomUUID() });
  send(unknown, unknown.messageId);

  // A valid job after them: the consumer still takes work.
  const jobId = randomUUID();
  const done = receive(bus.ch, events, (body) => body.message?.jobId === jobId, 60000);
  const runSpec = {
    model: { preset: 'llama-3.1-8b' }, trainingTokens: '1000000000000', sequenceLength: 4096,
    cluster: { accelerator: 'h100-sxm', count: 64 },
  };
  const valid = envelope('RunTrainingJob', { jobId, kind: 'estimate', runSpecJson: JSON.stringify(runSpec), topK: 0 });
  send(valid, valid.messageId);
  const completed = (await done).message;

  const error = await drain(`${queue}_error`, [notJson, wrongTypes.messageId]);
  const skipped = await drain(`${queue}_skipped`, [unknown.messageId]);
  console.log(JSON.stringify({
    ids: { notJson, wrongTypes: wrongTypes.messageId, unknown: unknown.messageId },
    valid: completed, error, skipped,
  }));
} finally {
  for (const q of [`${queue}_error`, `${queue}_skipped`]) {
    const ch = await bus.conn.createChannel();
    ch.on('error', () => {});
    await ch.deleteQueue(q).catch(() => {});
  }
  await bus.conn.close().catch(() => {});
}
