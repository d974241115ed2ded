/**
 * Server reflection lets an independent client call Ingest, and the health
 * service, without a schema file: `buf curl --protocol grpc --http2-prior-knowledge`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GatewayHarness, KEYS } from '../../helpers/gateway-harness';

let harness: GatewayHarness;
beforeAll(async () => {
  harness = await GatewayHarness.start();
});
afterAll(async () => {
  await harness.close();
});

const buf = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');

it('answers an Ingest call that buf curl makes through reflection', async () => {
  const body = { records: [{ eventId: 'evt_buf_curl_1', product: { productId: '123', data: { name: 'Wine', amount: 150, quantity: 4 } } }] };
  const { stdout } = await promisify(execFile)(buf, [
    'curl',
    '--protocol',
    'grpc',
    '--http2-prior-knowledge',
    '-H',
    `authorization: Bearer ${KEYS.sourceA}`,
    '-d',
    JSON.stringify(body),
    `http://127.0.0.1:${harness.gateway.port}/tributary.ingest.v1.IngestService/Ingest`,
  ]);
  const response = JSON.parse(stdout) as { results: { eventId: string; status: string; sequence: string }[] };
  expect(response.results).toEqual([{ eventId: 'evt_buf_curl_1', status: 'RECORD_STATUS_ACCEPTED', sequence: '1' }]);
  expect(await harness.messageCount()).toBe(1);
});

it('answers a health check that buf curl makes through reflection', async () => {
  const check = async (service: string) => {
    const { stdout } = await promisify(execFile)(buf, [
      'curl',
      '--protocol',
      'grpc',
      '--http2-prior-knowledge',
      '-d',
      JSON.stringify({ service }),
      `http://127.0.0.1:${harness.gateway.port}/grpc.health.v1.Health/Check`,
    ]);
    return JSON.parse(stdout) as unknown;
  };
  expect(await check('')).toEqual({ status: 'SERVING' });
  expect(await check('tributary.ingest.v1.IngestService')).toEqual({ status: 'SERVING' });
});
