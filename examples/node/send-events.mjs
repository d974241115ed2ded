// Sends a short customer journey with the SDK over gRPC, then prints what
// became of each record. Run it against `make run` with `make example-node`.
// Key: TRIBUTARY_API_KEY, or the dev key `make run` keeps in ./data.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { createClient } = createRequire(import.meta.url)('../../sdk/dist/node.cjs');
const dataDir = process.env.TRIBUTARY_DATA_DIR ?? './data';
const apiKey = process.env.TRIBUTARY_API_KEY ?? JSON.parse(readFileSync(`${dataDir}/dev-keys.json`, 'utf8')).apiKey;

const client = createClient({
  url: process.env.TRIBUTARY_GRPC_ADDR ?? '127.0.0.1:50051',
  apiKey,
  transport: 'grpc',
  profileId: 'prof_example_node',
  platform: 'web', // sessions as on the web: 30 minutes of inactivity
  onRetry: (error, attempt, delayMs) => console.error(`retrying (${error.message}), attempt ${attempt}, in ${delayMs} ms`),
});

const outcomes = await Promise.all([
  client.page({ url: 'https://shop.example.com/wine/w-1', title: 'Red wine' }),
  client.track('Product Viewed', { sku: 'w-1', price: 12.5 }),
  client.identify('ada@example.com', { plan: 'pro' }),
  client.track('Order Completed', { total: 25, items: 2 }),
  client.product({ productId: 'w-1', title: 'Red wine', price: 12.5, currency: 'EUR' }),
  client.track('identify'), // a reserved name: rejected, with its field and reason
]);
await client.close();

for (const outcome of outcomes) {
  const detail = outcome.status === 'rejected' ? outcome.violations.map((v) => `${v.field}: ${v.reason}`).join('; ') : (outcome.sequence ?? outcome.reason ?? '');
  console.log(`${outcome.status.toUpperCase().padEnd(9)} ${outcome.eventId}  ${detail}`);
}
console.log('\nSee them with: npx tributary query "SELECT call, name, user_id FROM tributary.events_final WHERE profile_id = \'prof_example_node\'"');
