// Jest runs the TypeScript tests through ts-jest: unit tests of pure functions
// under test/unit, tests against real NATS and ClickHouse under test/integration.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Integration tests start real nats-server processes; waits inside them have their own deadlines.
  testTimeout: 60_000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
