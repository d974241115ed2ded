/**
 * The structured logger (pino, JSON lines). Secrets never reach it: the
 * authorization header and anything named like a key are redacted.
 */
import pino, { type Logger } from 'pino';

/** Creates the process's logger at `level`. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'tributary' },
    redact: { paths: ['authorization', '*.authorization', 'apiKey', '*.apiKey', 'apiKeys', '*.apiKeys'], censor: '[redacted]' },
  });
}
