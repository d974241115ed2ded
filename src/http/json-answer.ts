/**
 * A JSON answer of the HTTP endpoint: the status, the body as one line.
 */
import type { ServerResponse } from 'node:http';

/** Answers `body` as JSON with `status`. */
export const answerJson = (response: ServerResponse, status: number, body: unknown): void => void response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
