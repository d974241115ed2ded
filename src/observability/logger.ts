/**
 * The structured logger (pino): JSON lines, or readable lines (pino-pretty)
 * when the output is a terminal. Secrets never reach it: the authorization
 * header and anything named like a key are redacted.
 */
import pino, { type Logger } from 'pino';

/** Creates the process's logger at `level`. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'tributary' },
    redact: { paths: ['authorization', '*.authorization', 'apiKey', '*.apiKey', 'apiKeys', '*.apiKeys', 'adminKey', '*.adminKey'], censor: '[redacted]' },
    transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
  });
}
