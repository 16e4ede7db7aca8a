/**
 * An msw S3 double that enforces SSE-C as Amazon S3 documents it (s3rver does not enforce SSE-C at
 * all): PUT/COPY validate algorithm AES256, a 256-bit base64 key and its base64 MD5 (400 otherwise);
 * GET/HEAD of an SSE-C object need the key (400 without, 403 with a different one); CopyObject of
 * an SSE-C source needs the copy-source key headers. Path-style URLs on http://127.0.0.1:9.
 * `control.failWhen` makes chosen requests fail with 500 InternalError (fault injection per step).
 * ETags (MD5 of the body) are returned on GET/HEAD, and a copy whose `x-amz-copy-source-if-match`
 * differs from the source's ETag fails with 412 PreconditionFailed, as S3 does.
 */
import { createHash } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { S3Client } from '@aws-sdk/client-s3';

export const MSW_S3_ENDPOINT = 'http://127.0.0.1:9';

/** An S3Client for the double: path style, no retries (a fault is seen once), no extra checksums. */
export function mswS3Client(): S3Client {
  return new S3Client({
    endpoint: MSW_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

interface Stored {
  body: Buffer;
  metadata: Record<string, string>;
  ssecMD5: string | undefined;
}

export interface RecordedRequest {
  method: string;
  key: string;
  headers: Record<string, string>;
}

const xmlError = (status: number, code: string, message: string, head: boolean) =>
  head
    ? new HttpResponse(null, { status })
    : new HttpResponse(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`, {
        status,
        headers: { 'content-type': 'application/xml' },
      });

type Check = { ok: true; md5: string | undefined } | { ok: false; response: Response };

function checkSseC(h: Headers, prefix: string, head: boolean): Check {
  const alg = h.get(`${prefix}-algorithm`);
  const key = h.get(`${prefix}-key`);
  const md5 = h.get(`${prefix}-key-md5`);
  if (alg === null && key === null && md5 === null) return { ok: true, md5: undefined };
  if (alg !== 'AES256') return { ok: false, response: xmlError(400, 'InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. The valid value is AES256.', head) };
  if (key === null || md5 === null) return { ok: false, response: xmlError(400, 'InvalidArgument', 'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key and its MD5.', head) };
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== key) return { ok: false, response: xmlError(400, 'InvalidArgument', 'The secret key was invalid for the specified algorithm.', head) };
  if (createHash('md5').update(raw).digest('base64') !== md5) return { ok: false, response: xmlError(400, 'InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was provided.', head) };
  return { ok: true, md5 };
}

/** Access to a stored object as if reading it with `md5` (undefined = no SSE-C headers). */
function access(obj: Stored, check: Check, head: boolean): Response | undefined {
  if (!check.ok) return check.response;
  if (obj.ssecMD5 && check.md5 === undefined) {
    return xmlError(400, 'InvalidRequest', 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.', head);
  }
  if (obj.ssecMD5 && check.md5 !== obj.ssecMD5) return xmlError(403, 'AccessDenied', 'Access Denied', head);
  if (!obj.ssecMD5 && check.md5 !== undefined) return xmlError(400, 'InvalidArgument', 'The encryption parameters are not applicable to this object.', head);
  return undefined;
}

const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

export function createSseCS3Double() {
  const objects = new Map<string, Stored>();
  const requests: RecordedRequest[] = [];
  // blockSseC: the bucket blocks SSE-C writes; denySseCWrites: a 403 for another reason (an IAM deny).
  const control: { failWhen: ((r: RecordedRequest) => boolean) | undefined; blockSseC: boolean; denySseCWrites: boolean } = { failWhen: undefined, blockSseC: false, denySseCWrites: false };
  const SSE = 'x-amz-server-side-encryption-customer';
  const COPY_SSE = 'x-amz-copy-source-server-side-encryption-customer';

  const handler = http.all(`${MSW_S3_ENDPOINT}/:bucket/*`, async ({ request }) => {
    const url = new URL(request.url);
    const path = url.pathname.split('/').slice(1);
    const bucket = decodeURIComponent(path[0]!);
    const key = path.slice(1).map(decodeURIComponent).join('/');
    const id = `${bucket}/${key}`;
    const h = request.headers;
    const headers: Record<string, string> = {};
    h.forEach((v, k) => (headers[k] = v));
    requests.push({ method: request.method, key, headers });
    const head = request.method === 'HEAD';
    if (control.failWhen?.(requests.at(-1)!)) return xmlError(500, 'InternalError', 'We encountered an internal error. Please try again.', head);
    if (request.method === 'GET' && key === '' && url.searchParams.has('encryption')) {
      // GetBucketEncryption: the bucket's default encryption, with the SSE-C block when set.
      const blocked = control.blockSseC ? '<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>' : '';
      return new HttpResponse(
        `<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled>${blocked}</Rule></ServerSideEncryptionConfiguration>`,
        { status: 200, headers: { 'content-type': 'application/xml' } },
      );
    }
    const echo = (md5: string | undefined): Record<string, string> => (md5 ? { [`${SSE}-algorithm`]: 'AES256', [`${SSE}-key-md5`]: md5 } : {});
    const metaFrom = (hs: Headers) => {
      const m: Record<string, string> = {};
      hs.forEach((v, k) => {
        if (k.startsWith('x-amz-meta-')) m[k] = v;
      });
      return m;
    };

    if (request.method === 'PUT') {
      // S3 since April 2026, on a bucket whose BlockedEncryptionTypes lists SSE-C: writes that
      // specify SSE-C get 403 AccessDenied (the documented status and code).
      if ((control.blockSseC || control.denySseCWrites) && h.get(`${SSE}-algorithm`) !== null) return xmlError(403, 'AccessDenied', 'Access Denied', false);
      const dest = checkSseC(h, SSE, false);
      if (!dest.ok) return dest.response;
      const copySource = h.get('x-amz-copy-source');
      if (copySource) {
        const src = objects.get(decodeURIComponent(copySource.replace(/^\//, '')));
        if (!src) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.', false);
        const denied = access(src, checkSseC(h, COPY_SSE, false), false);
        if (denied) return denied;
        const ifMatch = h.get('x-amz-copy-source-if-match');
        if (ifMatch !== null && ifMatch !== etagOf(src.body)) return xmlError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', false);
        const metadata = h.get('x-amz-metadata-directive') === 'REPLACE' ? metaFrom(h) : { ...src.metadata };
        objects.set(id, { body: src.body, metadata, ssecMD5: dest.md5 });
        return new HttpResponse(
          `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${etagOf(src.body)}</ETag></CopyObjectResult>`,
          { status: 200, headers: { 'content-type': 'application/xml', ...echo(dest.md5) } },
        );
      }
      const body = Buffer.from(await request.arrayBuffer());
      objects.set(id, { body, metadata: metaFrom(h), ssecMD5: dest.md5 });
      return new HttpResponse(null, { status: 200, headers: { etag: etagOf(body), ...echo(dest.md5) } });
    }
    if (request.method === 'GET' || head) {
      const obj = objects.get(id);
      if (!obj) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.', head);
      const check = checkSseC(h, SSE, head);
      const denied = access(obj, check, head);
      if (denied) return denied;
      const respHeaders = { 'content-length': String(obj.body.length), 'content-type': 'application/octet-stream', etag: etagOf(obj.body), ...obj.metadata, ...echo(obj.ssecMD5) };
      return new HttpResponse(head ? null : obj.body, { status: 200, headers: respHeaders });
    }
    if (request.method === 'DELETE') {
      objects.delete(id);
      return new HttpResponse(null, { status: 204 });
    }
    return xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', head);
  });
  return { handler, objects, requests, control };
}
