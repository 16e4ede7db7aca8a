/**
 * A small HTTP fault proxy on 127.0.0.1 in front of a local server (kms-local, s3rver): each request
 * is forwarded, or — by a seeded random draw or a caller-supplied rule — answered with a fault:
 *
 * - `reset`: the client's socket is destroyed after the request arrives (ECONNRESET, nothing answered);
 * - `reset-mid-response`: the upstream status line and half the body are sent, then the socket dies;
 * - `throttle`: 400 ThrottlingException (the KMS JSON 1.1 shape);
 * - `5xx`: 500 KMSInternalException or 503 Service Unavailable;
 * - `delay`: forwarded after `delayMs` (slow response);
 * - `hang`: never answered (until the client gives up or the proxy closes).
 *
 * Used by test/reliability (KMS and S3 faults) and bench/faults.
 */
import http from 'node:http';
import { seededRandom } from '@strongroom/testing/servers';

const FAULTS = ['reset', 'reset-mid-response', 'throttle', '5xx', 'delay', 'hang'];

/**
 * @param {{ target: string, seed?: number,
 *   rates?: Partial<Record<'reset'|'reset-mid-response'|'throttle'|'5xx'|'delay', number>>,
 *   delayMs?: [number, number],
 *   rule?: (req: { method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer, index: number }) => string | undefined }} options
 *   `rates`: probability of each fault per request (the rest pass through). `rule`, when it returns a
 *   fault name (or 'pass'), overrides the random draw for that request.
 * @returns {Promise<{ endpoint: string, counts: Record<string, number>, setRates(r: object): void, close(): Promise<void> }>}
 */
export async function startFaultProxy(options) {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  let rates = { ...(options.rates ?? {}) };
  const [dMin, dMax] = options.delayMs ?? [50, 400];
  const counts = { requests: 0, passed: 0, ...Object.fromEntries(FAULTS.map((f) => [f, 0])) };
  const hung = new Set();
  let index = 0;

  function draw() {
    let r = random();
    for (const f of FAULTS) {
      const p = rates[f] ?? 0;
      if (r < p) return f;
      r -= p;
    }
    return 'pass';
  }

  function kmsError(res, status, type, message) {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': `fault-${index}` });
    res.end(JSON.stringify({ __type: type, message }));
  }

  function forward(req, body, res, { midReset = false } = {}) {
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        const chunks = [];
        upRes.on('data', (c) => chunks.push(c));
        upRes.on('end', () => {
          const all = Buffer.concat(chunks);
          if (midReset) {
            const headers = { ...upRes.headers };
            res.writeHead(upRes.statusCode ?? 502, headers);
            res.write(all.subarray(0, all.length >> 1));
            // Give the half a chance to leave, then kill the connection.
            setTimeout(() => res.socket?.destroy(), 5);
            return;
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.end(all);
        });
      },
    );
    up.on('error', () => res.socket?.destroy());
    up.end(body);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const i = index++;
      counts.requests++;
      const fault = options.rule?.({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, index: i }) ?? draw();
      counts[fault === 'pass' ? 'passed' : fault]++;
      switch (fault) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'reset-mid-response':
          forward(req, body, res, { midReset: true });
          return;
        case 'throttle':
          kmsError(res, 400, 'ThrottlingException', 'Rate exceeded');
          return;
        case '5xx':
          if (random() < 0.5) kmsError(res, 500, 'KMSInternalException', 'internal error (injected)');
          else {
            res.writeHead(503, { 'content-type': 'text/plain' });
            res.end('Service Unavailable');
          }
          return;
        case 'delay':
          setTimeout(() => forward(req, body, res), dMin + Math.floor(random() * (dMax - dMin)));
          return;
        case 'hang':
          hung.add(req.socket);
          return;
        default:
          forward(req, body, res);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    setRates(r) {
      rates = { ...r };
    },
    async close() {
      for (const s of hung) s.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
