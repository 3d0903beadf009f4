// The little a non-.NET client needs to talk to MassTransit over RabbitMQ: the JSON envelope
// (application/vnd.masstransit+json) and the exchange-per-message-type topology.
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';

const NS = 'Platform.Contracts.Messaging';

/** Connects and opens a channel; `host` is what MassTransit addresses are written with. */
export async function connect(url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672/') {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  return { conn, ch, host: new URL(url).hostname, close: async () => { await ch.close(); await conn.close(); } };
}

/** A temporary queue bound to an exchange of the same name (where MassTransit sends replies) or to `exchange`. */
export async function temporaryQueue(ch, exchange) {
  const queue = `pipeline-${randomUUID()}`;
  await ch.assertQueue(queue, { durable: false, autoDelete: true });
  if (exchange) await ch.assertExchange(exchange, 'fanout', { durable: true });
  else await ch.assertExchange(queue, 'fanout', { durable: false, autoDelete: true });
  await ch.bindQueue(queue, exchange ?? queue, '');
  return queue;
}

/** Publishes `message` as platform message type `type` (e.g. 'RunTrainingJob'); `replyQueue` asks for a response. */
export function publish(ch, host, type, message, { requestId, replyQueue } = {}) {
  const exchange = `${NS}:${type}`;
  const reply = replyQueue ? `rabbitmq://${host}/${replyQueue}?temporary=true` : undefined;
  const envelope = {
    messageId: randomUUID(),
    requestId,
    sourceAddress: reply,
    responseAddress: reply,
    destinationAddress: `rabbitmq://${host}/${exchange}`,
    messageType: [`urn:message:${exchange}`],
    message,
    sentTime: new Date().toISOString(),
  };
  ch.publish(exchange, '', Buffer.from(JSON.stringify(envelope)), {
    contentType: 'application/vnd.masstransit+json', messageId: envelope.messageId, persistent: true,
  });
}

/** Resolves with the first envelope on `queue` that `match` accepts, as { type, message }. */
export function receive(ch, queue, match, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing on ${queue} within ${timeoutMs / 1000} s`)), timeoutMs);
    ch.consume(queue, (msg) => {
      const body = JSON.parse(msg.content.toString());
      if (!match(body)) return;
      clearTimeout(timer);
      resolve({ type: body.messageType[0], message: body.message });
    }, { noAck: true });
  });
}
