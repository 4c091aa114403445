import express, { type ErrorRequestHandler, type Request } from 'express';
import { CollectorError, errorMessage } from '../errors.js';
import { InvalidCursorError } from '../index-db/search.js';

/** Small request-parsing helpers shared by the sessions, access and audit routers. */

/**
 * `maxLength`: a search term longer than anything the index stores can match nothing, and would
 * only make every row's comparison longer: refused.
 */
export function queryString(
  req: Request,
  name: string,
  { maxLength }: { maxLength?: number } = {},
): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new CollectorError('bad_query', 400, `query parameter "${name}" must be given once.`);
  if (maxLength !== undefined && value.length > maxLength)
    throw new CollectorError(
      'bad_query',
      400,
      `query parameter "${name}" is ${value.length} characters long: the index keeps at most ${maxLength}, so search by a shorter part.`,
    );
  return value;
}

/** `?project=a&project=b` or `?project=a,b`. */
export function queryList(req: Request, name: string): string[] {
  const value = req.query[name];
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values
    .flatMap((v) => (typeof v === 'string' ? v.split(',') : []))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function queryNumber(req: Request, name: string, options: { min?: number } = {}): number | undefined {
  const value = queryString(req, name);
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || (options.min !== undefined && number < options.min)) {
    throw new CollectorError(
      'bad_query',
      400,
      `query parameter "${name}" must be a number${options.min !== undefined ? ` >= ${options.min}` : ''}.`,
    );
  }
  return number;
}

/** Epoch milliseconds or an ISO 8601 date. */
export function queryTime(req: Request, name: string): number | undefined {
  const value = queryString(req, name);
  if (value === undefined || value === '') return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(number))
    throw new CollectorError(
      'bad_query',
      400,
      `query parameter "${name}" must be epoch milliseconds or an ISO 8601 date.`,
    );
  return number;
}

export function queryBoolean(req: Request, name: string): boolean | undefined {
  const value = queryString(req, name);
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CollectorError('bad_query', 400, `query parameter "${name}" must be true or false.`);
}

export function queryEnum<T extends string>(req: Request, name: string, allowed: readonly T[]): T | undefined {
  const value = queryString(req, name);
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T))
    throw new CollectorError('bad_query', 400, `query parameter "${name}" must be one of ${allowed.join(', ')}.`);
  return value as T;
}

export function bodyString(body: unknown, name: string, options: { max?: number } = {}): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || value === '' || value.length > (options.max ?? 1_024)) {
    throw new CollectorError('bad_request', 400, `body field "${name}" must be a non-empty string.`);
  }
  return value;
}

/** JSON bodies only: a cross-site HTML form cannot send one without a CORS preflight. */
export const jsonBody = express.json({ limit: '16kb', type: 'application/json' });

/** Answers this API's errors as `{ error, message }`; anything unexpected is a logged 500. */
export function apiErrorHandler(logger?: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof CollectorError) {
      res.status(error.status).json({ error: error.code, message: error.message });
      return;
    }
    if (error instanceof InvalidCursorError) {
      res.status(400).json({ error: 'bad_cursor', message: error.message });
      return;
    }
    const status = (error as { status?: unknown; type?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: `[@reprise/collector] ${errorMessage(error)}` });
      return;
    }
    logger?.error({ err: error }, 'sessions API request failed');
    res.status(500).json({ error: 'internal', message: '[@reprise/collector] internal error; see the collector log.' });
  };
}
