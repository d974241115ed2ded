/**
 * The SDK as a package of its own: `npm pack` of sdk/ (as `make sdk` built
 * it) installs into an empty folder beside @grpc/grpc-js, a TypeScript file
 * there type-checks against the package's declarations (the main entry and
 * `@tributary/sdk/wire`), the wire export loads, and a script there sends a
 * record to a real `serve` and gets it accepted.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NatsServer } from '../../helpers/nats-server';
import { ServeProcess } from '../../helpers/serve-process';
import { waitFor } from '../../helpers/wait';

jest.setTimeout(180_000);
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
let nats: NatsServer;
let serve: ServeProcess;
let folder: string;

beforeAll(async () => {
  nats = await NatsServer.start();
  serve = await ServeProcess.start(nats.url);
  folder = mkdtempSync(join(tmpdir(), 'tributary-sdk-package-'));
});
afterAll(async () => {
  await serve?.stop();
  await nats?.stop();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

it('installs from npm pack into an empty folder, type-checks, and sends a record', async () => {
  await run('npm', ['pack', '--pack-destination', folder, '--silent'], { cwd: join(ROOT, 'sdk') });
  const tarball = readdirSync(folder).find((name) => name.endsWith('.tgz'));
  expect(tarball).toMatch(/^tributary-sdk-\d+\.\d+\.\d+\.tgz$/);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'sdk-consumer', version: '1.0.0', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`, '@grpc/grpc-js@1.14.7'], { cwd: folder });

  // The declarations: a consumer's TypeScript compiles against the package alone.
  writeFileSync(
    join(folder, 'check.ts'),
    "import { createClient, type Outcome } from '@tributary/sdk';\nimport { encodeFrame, parseTrailers } from '@tributary/sdk/wire';\nconst client = createClient({ url: 'x', apiKey: 'k', transport: 'grpc' });\nconst outcome: Promise<Outcome> = client.track('T', { n: 1 });\nvoid outcome;\nconst trailers: Record<string, string> = parseTrailers(encodeFrame(0x80, new Uint8Array(0)).subarray(5));\nvoid trailers;\n",
  );
  await run(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'check.ts'],
    { cwd: folder },
  );

  const profileId = `prof_package_${Date.now()}`;
  writeFileSync(
    join(folder, 'send.js'),
    `const { createClient } = require('@tributary/sdk');
const client = createClient({ url: '127.0.0.1:${serve.grpcPort}', apiKey: '${serve.apiKey}', transport: 'grpc', profileId: '${profileId}' });
client.track('Installed', { from: 'npm pack' }).then(async (outcome) => { await client.close(); console.log(JSON.stringify(outcome)); });
`,
  );
  // The wire format export, which the server's bridge shares: a trailer frame round-trips.
  const wire = await run('node', ['-e', "const w = require('@tributary/sdk/wire'); console.log(JSON.stringify(w.parseTrailers(w.encodeTrailers({ 'grpc-status': '0' }))))"], { cwd: folder });
  expect(JSON.parse(wire.stdout)).toEqual({ 'grpc-status': '0' });
  const { stdout } = await run('node', ['send.js'], { cwd: folder });
  expect(JSON.parse(stdout)).toMatchObject({ status: 'accepted' });
  await waitFor(
    'the record in ClickHouse',
    async () => {
      const [row] = await serve.query<{ n: string }>(`SELECT count() AS n FROM tributary.events_final WHERE profile_id = '${profileId}'`);
      return Number(row.n) === 1 ? true : undefined;
    },
    60_000,
    200,
  );
});
