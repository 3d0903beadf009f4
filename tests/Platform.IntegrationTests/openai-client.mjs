// The npm `openai` client against a live deployment: list models, a completion, a chat completion, and a streamed
// chat with usage (ignore_eos, a vLLM extension the client passes through, so each runs to max_tokens). Usage: node openai-client.mjs BASE_URL MODEL. Prints one JSON line; exits 1 when a check fails.
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY ?? 'unused', maxRetries: 0 });
const fail = (msg) => { console.error(msg); process.exit(1); };

const models = [];
for await (const m of client.models.list()) models.push(m.id);
if (!models.includes(model)) fail(`models.list lacks ${model}: ${models.join(',')}`);

const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 5, ignore_eos: true });
if (completion.usage.completion_tokens !== 5) fail(`completion usage ${JSON.stringify(completion.usage)}`);

const chat = await client.chat.completions.create({
  model, max_tokens: 6, ignore_eos: true, messages: [{ role: 'user', content: 'How many H20 serve DeepSeek-R1?' }],
});
if (chat.usage.completion_tokens !== 6 || !chat.choices[0].message.content) fail(`chat ${JSON.stringify(chat)}`);

const stream = await client.chat.completions.create({
  model, max_tokens: 8, ignore_eos: true, stream: true, stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'Stream, please.' }],
});
let chunks = 0, text = '', usage = null;
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices[0]?.delta?.content ?? '';
  if (chunk.usage) usage = chunk.usage;
}
if (chunks < 2 || !usage || usage.completion_tokens !== 8 || !text) fail(`stream: ${chunks} chunks, ${JSON.stringify(usage)}`);
console.log(JSON.stringify({ models: models.length, completion: completion.usage, chunks, usage }));
