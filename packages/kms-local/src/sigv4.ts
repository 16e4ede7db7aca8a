/**
 * AWS Signature Version 4 verification for the local KMS endpoint.
 * spec: AWS General Reference, "Create a signed AWS API request" (canonical request, string to
 * sign, signing key derivation) — AWS4-HMAC-SHA256 in the Authorization header.
 *
 * Unknown access key id → UnrecognizedClientException; a signature that does not match →
 * InvalidSignatureException (compared in constant time). The signature is bound to this server: the
 * signed `host` header must name the server's own address, the credential scope must name the
 * server's Region and the service `kms`, and `X-Amz-Date` must be within 5 minutes of the server
 * clock (AWS: "Signature expired" beyond 5 minutes) — each refused as InvalidSignatureException
 * with a message naming what to fix.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { KmsError } from './errors';

/** An access key id and its secret. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The parts of an HTTP request a SigV4 signature covers. */
export interface SignedRequest {
  readonly method: string;
  /** Path and query as sent, e.g. `/` or `/a/b?x=1`. */
  readonly url: string;
  /** Lower-cased header names (Node's `IncomingMessage.headers`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** AWS refuses a request time more than 5 minutes from its clock. */
export const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const unrecognized = () => new KmsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
const badSignature = (why = '') =>
  new KmsError(
    'InvalidSignatureException',
    `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.${why}`,
  );

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(path: string): string {
  if (path === '' || path === '/') return '/';
  // Non-S3 services: each segment of the (already encoded) path is encoded once more.
  return path.split('/').map((seg) => rfc3986(seg)).join('/');
}

/** decodeURIComponent, with a broken escape (`%zz`, lone surrogate) as the caller's error, not a crash. */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new KmsError('InvalidSignatureException', 'The request query string is not valid percent-encoding (RFC 3986 §2.1).');
  }
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query.split('&').filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    const k = decode(i < 0 ? p : p.slice(0, i));
    const v = i < 0 ? '' : decode(p.slice(i + 1).replace(/\+/g, '%20'));
    return [rfc3986(k), rfc3986(v)] as const;
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** The trimmed value of an own header; inherited names (`constructor`, `__proto__`) are absent. */
function headerValue(headers: SignedRequest['headers'], name: string): string {
  const v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  const s = Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : '';
  return s.trim().replace(/\s+/g, ' ');
}

/** A small cache of derived signing keys: one HMAC chain per (secret, date, region, service). */
function createSigningKeyCache() {
  const cache = new Map<string, Buffer>();
  return (secret: string, date: string, region: string, service: string): Buffer => {
    const id = `${date}\0${region}\0${service}\0${secret}`;
    let key = cache.get(id);
    if (!key) {
      const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
      const kRegion = createHmac('sha256', kDate).update(region).digest();
      const kService = createHmac('sha256', kRegion).update(service).digest();
      key = createHmac('sha256', kService).update('aws4_request').digest();
      if (cache.size >= 64) cache.clear();
      cache.set(id, key);
    }
    return key;
  };
}

export interface SigV4Binding {
  /** The Region this server serves; the credential scope must name it. */
  readonly region: string;
  /** Whether a `Host` header value (`name[:port]`, lower-cased) names this server. */
  readonly isOwnHost: (host: string) => boolean;
  /** What isOwnHost accepts, for the error message. */
  readonly describeHosts: () => string;
  /** Injectable clock (ms since epoch). */
  readonly now?: () => number;
  /** Default `kms`. */
  readonly service?: string;
}

function amzDateOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Verifies AWS Signature Version 4 on requests for this server's host and Region. */
export interface SigV4Verifier {
  /** @throws KmsError when the request is not signed by a configured credential. */
  verify(request: SignedRequest): { accessKeyId: string; region: string };
}

/**
 * A SigV4 verifier over `credentials`, bound to the server's host, Region and clock.
 * @param credentials accepted key pairs
 * @param binding the server a signature must be made for (Region, host, clock)
 */
export function createSigV4Verifier(credentials: readonly Credentials[], binding: SigV4Binding): SigV4Verifier {
  const now = binding.now ?? Date.now;
  const service = binding.service ?? 'kms';
  const secrets = new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  const signingKey = createSigningKeyCache();
  return {
    verify(request) {
      const auth = headerValue(request.headers, 'authorization');
      if (auth === '') throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      const m = AUTH.exec(auth);
      if (!m) throw new KmsError('IncompleteSignatureException', 'Authorization header is not a valid AWS4-HMAC-SHA256 signature.');
      const [, accessKeyId, scopeDate, region, scopeService, signedHeaderList, signature] = m as unknown as string[];
      const secret = secrets.get(accessKeyId!);
      if (secret === undefined) throw unrecognized();
      if (scopeService !== service) throw badSignature(` Credential should be scoped to correct service: '${service}'.`);
      if (region !== binding.region) {
        throw new KmsError(
          'InvalidSignatureException',
          `Credential should be scoped to a valid region: this endpoint serves '${binding.region}', the request is scoped to '${region}'. Configure the client with region '${binding.region}'.`,
        );
      }

      const amzDate = headerValue(request.headers, 'x-amz-date');
      const d = AMZ_DATE.exec(amzDate);
      if (!d) throw new KmsError('IncompleteSignatureException', 'Missing or malformed X-Amz-Date header.');
      const at = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!);
      const serverNow = now();
      if (Math.abs(serverNow - at) > MAX_SKEW_MS) {
        throw new KmsError(
          'InvalidSignatureException',
          `Signature expired: the request time ${amzDate} is more than 5 minutes from the server clock (${amzDateOf(serverNow)}). The client's clock is skewed: correct the system clock (the AWS SDK corrects its offset when it may retry).`,
        );
      }
      if (amzDate.slice(0, 8) !== scopeDate) throw badSignature(' Credential date does not match X-Amz-Date.');

      const signedHeaders = signedHeaderList!.split(';');
      if (!signedHeaders.includes('host')) throw badSignature(' The host header must be signed.');
      const host = headerValue(request.headers, 'host').toLowerCase();
      if (!binding.isOwnHost(host)) {
        throw new KmsError(
          'InvalidSignatureException',
          `The signed host '${host}' is not this endpoint (${binding.describeHosts()}): the request was signed for another server. Point the client's endpoint at this server.`,
        );
      }
      const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(request.headers, h)}\n`).join('');
      const payloadHash = createHash('sha256').update(request.body).digest('hex');
      const claimed = Object.hasOwn(request.headers, 'x-amz-content-sha256') ? request.headers['x-amz-content-sha256'] : undefined;
      if (typeof claimed === 'string' && claimed !== payloadHash && claimed !== 'UNSIGNED-PAYLOAD') {
        throw badSignature(' The provided x-amz-content-sha256 does not match the body.');
      }
      const q = request.url.indexOf('?');
      const path = q < 0 ? request.url : request.url.slice(0, q);
      const query = q < 0 ? '' : request.url.slice(q + 1);
      const canonicalRequest = [
        request.method.toUpperCase(),
        canonicalPath(path),
        canonicalQuery(query),
        canonicalHeaders,
        signedHeaderList,
        typeof claimed === 'string' && claimed === 'UNSIGNED-PAYLOAD' ? claimed : payloadHash,
      ].join('\n');
      const scope = `${scopeDate}/${region}/${scopeService}/aws4_request`;
      const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
      const expected = createHmac('sha256', signingKey(secret, scopeDate!, region!, scopeService!)).update(stringToSign).digest();
      if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) throw badSignature();
      return { accessKeyId: accessKeyId!, region: region! };
    },
  };
}
