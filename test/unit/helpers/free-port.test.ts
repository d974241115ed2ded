/** freePort: a bindable port below the ephemeral range that outgoing connections draw from. */
import { createServer } from 'node:net';
import { freePort } from '../../helpers/free-port';

it('gives ports below 32768 that can be bound', async () => {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(32_768);
    await new Promise<void>((resolve, reject) => {
      const server = createServer().once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  }
});
