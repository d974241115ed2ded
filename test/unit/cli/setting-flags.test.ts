/** Flags for every setting but the secrets: names derived from the environment variables, values handed to the config as overrides. */
import { Command } from 'commander';
import { addSettingFlags, flagOf, settingOverrides } from '../../../src/cli/setting-flags';
import { loadConfig } from '../../../src/config/load';
import { SETTINGS } from '../../../src/config/settings';

it('derives flag names from the environment variables', () => {
  expect(flagOf('TRIBUTARY_GRPC_ADDR')).toBe('--grpc-addr');
  expect(flagOf('NATS_USER')).toBe('--nats-user');
  expect(flagOf('TRIBUTARY_STREAM_DUPLICATE_WINDOW')).toBe('--stream-duplicate-window');
});

it('lets flags win over the environment', () => {
  const command = addSettingFlags(new Command('test').exitOverride());
  command.parse(['--grpc-addr', '0.0.0.0:9000', '--stream', 'FROM_FLAG', '--sink-batch-size', '50'], { from: 'user' });
  const overrides = settingOverrides(command.opts());
  expect(overrides).toEqual({ grpcAddr: '0.0.0.0:9000', stream: 'FROM_FLAG', sinkBatchSize: '50' });
  const config = loadConfig({ TRIBUTARY_GRPC_ADDR: '127.0.0.1:1', TRIBUTARY_STREAM: 'FROM_ENV', TRIBUTARY_SUBJECT_PREFIX: 'from_env' }, overrides);
  expect(config).toMatchObject({ grpcAddr: '0.0.0.0:9000', stream: 'FROM_FLAG', subjectPrefix: 'from_env', sinkBatchSize: 50 });
});

it('has no flag for a secret, which `ps` would show', () => {
  const command = addSettingFlags(new Command('test').exitOverride().configureOutput({ writeErr: () => undefined }));
  const flags = command.options.map((option) => option.long);
  expect(flags).toContain('--api-keys-file');
  for (const secret of ['--api-keys', '--admin-key', '--nats-url', '--nats-password', '--nats-token', '--clickhouse-url']) {
    expect(flags).not.toContain(secret);
    expect(() => command.parse([secret, 'a-secret-value-000001'], { from: 'user' })).toThrow(`unknown option '${secret}'`);
  }
  expect(
    Object.values(SETTINGS)
      .filter((setting) => setting.secret)
      .map((setting) => setting.env),
  ).toEqual(['TRIBUTARY_API_KEYS', 'TRIBUTARY_ADMIN_KEY', 'NATS_URL', 'NATS_PASSWORD', 'NATS_TOKEN', 'CLICKHOUSE_URL']);
});
