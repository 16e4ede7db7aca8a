/**
 * CORS for the local servers (kms-local, the dev stack's S3) so that a page on localhost can call them
 * (Fetch Standard, "CORS protocol": https://fetch.spec.whatwg.org/#http-cors-protocol). Off unless a
 * caller names the exact origins to allow; there is no wildcard:
 *  - an origin is `scheme://host[:port]` exactly as a browser sends it (no path, no `*`, no `null`);
 *  - the allowed origin is echoed (never `*`), with `Vary: Origin`, and
 *    `Access-Control-Allow-Credentials` is never sent: SigV4 travels in headers, no cookie is needed,
 *    so no page can make a browser attach ambient credentials;
 *  - a preflight from another origin, for another method, or asking for a header not on the list is
 *    refused with 403 and no CORS header; requests from other origins get no CORS header (the browser
 *    keeps the response from the page).
 * The headers are added when the response head is written, so a handler that clears its headers on an
 * error (s3rver does) still answers an allowed origin readably.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrongroomError } from '@strongroom/core';

/** What {@link withCors} allows. */
export interface CorsOptions {
  /** Exact origins, e.g. `http://localhost:5173`. */
  readonly origins: readonly string[];
  /** Methods a preflight may ask for. */
  readonly methods: readonly string[];
  /** Request headers a preflight may ask for (lower case); `x-amz-*` when `amzHeaders` is true. */
  readonly allowHeaders: readonly string[];
  /** Also allow every `x-amz-*` request header (S3's metadata and checksum headers). */
  readonly amzHeaders?: boolean;
  /** Response headers a page may read. */
  readonly exposeHeaders: readonly string[];
  /** Preflight cache lifetime in seconds; default 600. */
  readonly maxAgeSeconds?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The headers the AWS SDK for JavaScript v3 sends besides the protocol's own. */
export const SDK_REQUEST_HEADERS = ['authorization', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request'];

/** kms-local: `POST /` with the awsJson1_1 headers; the request id, error type and auth mode readable. */
export function kmsCorsOptions(origins: readonly string[]): CorsOptions {
  return {
    origins,
    methods: ['POST'],
    allowHeaders: [...SDK_REQUEST_HEADERS, 'x-amz-target'],
    exposeHeaders: ['x-amzn-requestid', 'x-amzn-errortype', 'x-strongroom-auth', 'date'],
  };
}

/**
 * Check and normalise origins: each must be what a browser sends in `Origin` for a page
 * (RFC 6454 §6.1: scheme, host and a non-default port only).
 * @throws StrongroomError INVALID_ARGUMENT for `*`, `null`, a path, credentials or a non-http(s) scheme.
 */
export function parseCorsOrigins(origins: readonly string[], flag = '--cors'): string[] {
  return origins.map((origin) => {
    const refuse = (why: string) =>
      new StrongroomError('INVALID_ARGUMENT', `${flag} ${JSON.stringify(origin)}: ${why}; give the page's exact origin, e.g. ${flag} http://localhost:5173`);
    if (origin === '*' || origin.includes('*')) throw refuse('wildcards are not allowed (any site could call the server from its visitors\' browsers)');
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw refuse('not an origin');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('only http and https origins');
    if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) throw refuse('an origin has no path, query or user');
    if (origin.endsWith('/')) throw refuse('an origin has no trailing slash');
    if (url.origin !== origin) throw refuse(`a browser sends it as ${url.origin}`);
    return url.origin;
  });
}

/**
 * Wrap a Node request handler with CORS. `undefined` options: the handler unchanged (CORS off).
 * @throws StrongroomError INVALID_ARGUMENT for an origin {@link parseCorsOrigins} refuses.
 */
export function withCors(options: CorsOptions | undefined, handler: Handler): Handler {
  if (!options || options.origins.length === 0) return handler;
  const origins = new Set(parseCorsOrigins(options.origins));
  const methods = new Set(options.methods.map((m) => m.toUpperCase()));
  const headers = new Set(options.allowHeaders.map((h) => h.toLowerCase()));
  const headerAllowed = (h: string) => headers.has(h) || (options.amzHeaders === true && /^x-amz-[a-z0-9-]+$/.test(h));
  const expose = options.exposeHeaders.join(', ');
  const maxAge = String(options.maxAgeSeconds ?? 600);

  return (req, res) => {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const allowed = origin !== undefined && origins.has(origin);
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (preflight) {
      const method = String(req.headers['access-control-request-method']).toUpperCase();
      const asked = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h.length > 0);
      const ok = allowed && methods.has(method) && asked.every(headerAllowed);
      res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      if (!ok) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('CORS preflight refused: origin, method or headers not allowed by this server\n');
        return;
      }
      res.writeHead(204, {
        'access-control-allow-origin': origin!,
        'access-control-allow-methods': [...methods].join(', '),
        ...(asked.length > 0 && { 'access-control-allow-headers': asked.join(', ') }),
        'access-control-max-age': maxAge,
      });
      res.end();
      return;
    }
    if (allowed) {
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
        this.setHeader('access-control-allow-origin', origin!);
        if (expose) this.setHeader('access-control-expose-headers', expose);
        this.setHeader('vary', 'Origin');
        return writeHead.apply(this, args);
      } as ServerResponse['writeHead'];
    } else {
      // The answer depends on Origin: caches must not serve it to an allowed page (or the reverse).
      res.setHeader('vary', 'Origin');
    }
    handler(req, res);
  };
}
