/**
 * The sink pointed at Debian's ClickHouse server (18.16, far older than the
 * JSON type) refuses to start, naming both versions. The test starts that
 * server with its own config, ports and folder, and stops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../src/stream/free-port';
import { startCli } from '../../helpers/cli-process';
import { waitFor } from '../../helpers/wait';

const SERVER = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].find(existsSync);
let dir: string;
let server: ChildProcess;
let httpPort: number;

beforeAll(async () => {
  if (SERVER === undefined) throw new Error('clickhouse-server is not installed: run `make system-deps` (apt-get install clickhouse-server)');
  dir = mkdtempSync(join(tmpdir(), 'tributary-ch18-'));
  httpPort = await freePort();
  const tcpPort = await freePort();
  writeFileSync(join(dir, 'users.xml'), `<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>`);
  writeFileSync(join(dir, 'config.xml'), `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${httpPort}</http_port>
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
</yandex>`);
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
});

it('refuses to start against ClickHouse 18.16 and says which version it needs', async () => {
  const sink = startCli(['sink'], { TRIBUTARY_HTTP_ADDR: '127.0.0.1:0', CLICKHOUSE_URL: `http://127.0.0.1:${httpPort}`, TRIBUTARY_DATA_DIR: dir, TRIBUTARY_LOG_LEVEL: 'warn' });
  expect(await sink.exited).toBe(1);
  expect(sink.output()).toContain('ClickHouse 18.16.1 is older than 25.3, the oldest version Tributary supports');
});
