/**
 * The console's files (src/console/, and uPlot's from its package), served
 * at /console. They hold no data: the page asks for the admin key and reads
 * everything it shows from the admin routes with it. Nothing is fetched from
 * another origin (the Content-Security-Policy allows only this one), so the
 * console works offline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';

/** Each path of the console, with its file and content type. */
const FILES: { readonly [path: string]: readonly [file: () => string, type: string] } = {
  '/console': [() => join(__dirname, '..', 'console', 'index.html'), 'text/html; charset=utf-8'],
  '/console/console.js': [() => join(__dirname, '..', 'console', 'console.js'), 'text/javascript; charset=utf-8'],
  '/console/console.css': [() => join(__dirname, '..', 'console', 'console.css'), 'text/css; charset=utf-8'],
  '/console/uplot.js': [() => require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  '/console/uplot.css': [() => require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
};

/** Headers that keep the page to its own origin and out of frames. */
const HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const read = new Map<string, Buffer>();

/** Whether `path` is one of the console's. */
export const isConsolePath = (path: string): boolean => Object.hasOwn(FILES, path) || path === '/console/';

/** Serves the console's file at `path` (read once, then kept). */
export function serveConsoleFile(path: string, response: ServerResponse): void {
  const [file, type] = FILES[path === '/console/' ? '/console' : path];
  let body = read.get(path);
  if (body === undefined) {
    body = readFileSync(file());
    read.set(path, body);
  }
  response.writeHead(200, { 'content-type': type, ...HEADERS }).end(body);
}
