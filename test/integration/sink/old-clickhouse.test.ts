/**
 * The sink pointed at Debian's ClickHouse server (18.16, far older than the
 * JSON type) refuses to start, naming both versions. The test starts that
 * server with its own config, ports and folder, and stops it afterwards. It
 * is also the only ClickHouse server these machines can run, so it shows
 * what it can of `https://` and credentials in CLICKHOUSE_URL: over TLS
 * (a certificate made at test time, trusted through NODE_EXTRA_CA_CERTS),
 * with a password, the sink gets as far as the version check; with a wrong
 * password, or without trusting the CA, it does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port';
import { makeCertificates, type TestCertificates } from '../../helpers/certificates';
import { startCli } from '../../helpers/cli-process';
import { waitFor } from '../../helpers/wait';

const SERVER = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].find(existsSync);
let dir: string;
let server: ChildProcess;
let httpPort: number;
let httpsPort: number;
let certs: TestCertificates;
const PASSWORD = 'a-test-password';

beforeAll(async () => {
  if (SERVER === undefined) throw new Error('clickhouse-server is not installed: run `make system-deps` (apt-get install clickhouse-server)');
  dir = mkdtempSync(join(tmpdir(), 'tributary-ch18-'));
  httpPort = await freePort();
  httpsPort = await freePort();
  const tcpPort = await freePort();
  certs = makeCertificates();
  writeFileSync(
    join(dir, 'users.xml'),
    `<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default>
    <tributary><password>${PASSWORD}</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></tributary>
  </users>
  <quotas><default></default></quotas>
</yandex>`,
  );
  writeFileSync(
    join(dir, 'config.xml'),
    `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${httpPort}</http_port>
  <https_port>${httpsPort}</https_port>
  <openSSL><server>
    <certificateFile>${certs.serverCert}</certificateFile><privateKeyFile>${certs.serverKey}</privateKeyFile>
    <verificationMode>none</verificationMode><loadDefaultCAFile>false</loadDefaultCAFile><disableProtocols>sslv2,sslv3</disableProtocols>
  </server></openSSL>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
</yandex>`,
  );
  server = spawn(SERVER, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' });
  await waitFor('clickhouse-server 18.16 to answer /ping', async () => ((await fetch(`http://127.0.0.1:${httpPort}/ping`)).ok ? true : undefined), 30_000);
});

afterAll(async () => {
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  certs?.remove();
});

it('refuses to start against ClickHouse 18.16 and says which version it needs', async () => {
  const sink = startCli(['sink'], { TRIBUTARY_HTTP_ADDR: '127.0.0.1:0', CLICKHOUSE_URL: `http://127.0.0.1:${httpPort}`, TRIBUTARY_DATA_DIR: dir, TRIBUTARY_LOG_LEVEL: 'warn' });
  expect(await sink.exited).toBe(1);
  expect(sink.output()).toContain('ClickHouse 18.16.1 is older than 25.3, the oldest version Tributary supports');
});

it('reaches the server over https with credentials, and no further without them or without trusting its CA', async () => {
  const sink = (url: string, env: NodeJS.ProcessEnv = {}) =>
    startCli(['sink'], { TRIBUTARY_HTTP_ADDR: '127.0.0.1:0', CLICKHOUSE_URL: url, TRIBUTARY_DATA_DIR: dir, TRIBUTARY_LOG_LEVEL: 'warn', TRIBUTARY_START_TIMEOUT: '5s', ...env });
  const trusted = { NODE_EXTRA_CA_CERTS: certs.caCert };
  const good = sink(`https://tributary:${PASSWORD}@localhost:${httpsPort}`, trusted);
  expect(await good.exited).toBe(1);
  expect(good.output()).toContain('ClickHouse 18.16.1 is older than 25.3');
  const wrongPassword = sink(`https://tributary:wrong@localhost:${httpsPort}`, trusted);
  expect(await wrongPassword.exited).toBe(1);
  expect(wrongPassword.output()).not.toContain('is older than');
  expect(wrongPassword.output()).toMatch(/password|authentication/i);
  const untrusted = sink(`https://tributary:${PASSWORD}@localhost:${httpsPort}`);
  expect(await untrusted.exited).toBe(1);
  expect(untrusted.output()).not.toContain('is older than');
  expect(untrusted.output()).not.toContain(PASSWORD);
});
