// Serves the browser example on http://127.0.0.1:8090: the page, the SDK's
// browser bundle, and /config.json with the gateway's HTTP endpoint and the
// dev API key that `make run` keeps in ./data. Run it with `make example-browser`.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const dataDir = process.env.TRIBUTARY_DATA_DIR ?? './data';
const port = Number(process.env.EXAMPLE_PORT ?? 8090);
const config = JSON.stringify({
  url: `http://${process.env.TRIBUTARY_HTTP_ADDR ?? '127.0.0.1:8080'}`,
  apiKey: process.env.TRIBUTARY_API_KEY ?? JSON.parse(readFileSync(`${dataDir}/dev-keys.json`, 'utf8')).apiKey,
});
const files = {
  '/': ['text/html', new URL('./index.html', import.meta.url)],
  '/tributary.iife.js': ['text/javascript', new URL('../../sdk/dist/tributary.iife.js', import.meta.url)],
};

createServer((request, response) => {
  if (request.url === '/config.json') return response.writeHead(200, { 'content-type': 'application/json' }).end(config);
  const file = files[request.url ?? '/'];
  if (file === undefined) return response.writeHead(404).end();
  response.writeHead(200, { 'content-type': file[0] }).end(readFileSync(file[1]));
}).listen(port, '127.0.0.1', () => console.log(`Open http://127.0.0.1:${port} (dev mode of make run allows this origin)`));
