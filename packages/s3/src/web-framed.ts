/**
 * Framed objects on the web entry (an AWS Encryption SDK message, v2, suite 0x0478, framed; the same
 * metadata, binding and bytes as the Node entry's ./framed-write.ts and ./framed-read.ts), through
 * core's web client: WHATWG streams, Web Crypto. GetObject streams the plaintext frame by frame, each
 * frame released only after its tag verifies (the final one after the end of the message).
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data, client-apis/decrypt.md;
 * S3 PutObject / GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import { PutObjectCommand, type GetObjectCommandInput, type GetObjectCommandOutput, type PutObjectCommandInput, type PutObjectCommandOutput } from '@aws-sdk/client-s3';
import { createClient, FRAMED_SUITE_ID, framedHeaderNeed, framedLayout, malformed, StrongroomError, type EncryptionContext, type StrongroomClient } from '@strongroom/core/web';
import { concatBytes } from './bytes';
import { BINDING_CONTEXT_KEY, checkReadContext, explainBindingFailure, framedLength, framedMetadata, readContext, writeContext } from './framed-format';
import { framedHeaderOf, MAX_HEADER_BYTES, sendOpts } from './framed-plan';
import { MAX_FRAMED_FRAME_LENGTH, type EncryptedSendOptions, type ResolvedConfig } from './options';
import { byteStream, cancelBody, knownLength, readAll, sdkBody } from './web-body';


type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

const clients = new WeakMap<ResolvedConfig, StrongroomClient>();

/** Core's web client that seals and opens this configuration's framed objects. */
export function webFramedClient(cfg: ResolvedConfig): StrongroomClient {
  let client = clients.get(cfg);
  if (!client) {
    client = createClient({
      keyProviders: cfg.providers,
      suite: FRAMED_SUITE_ID,
      frameLength: cfg.frameLength,
      commitmentPolicy: 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT',
      maxFrameLength: MAX_FRAMED_FRAME_LENGTH,
    });
    clients.set(cfg, client);
  }
  return client;
}

/** Passes `stream` through, failing once it carries more or fewer than `expected` bytes. */
export function exactly(stream: ReadableStream<Uint8Array>, expected: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        seen += chunk.length;
        if (seen > expected) throw new StrongroomError('INVALID_ARGUMENT', 'Body is longer than ContentLength');
        c.enqueue(chunk);
      },
      flush() {
        if (seen !== expected) throw new StrongroomError('INVALID_ARGUMENT', 'Body is shorter than ContentLength');
      },
    }),
  );
}

/**
 * The framed message of a plaintext body, as one stream: `bucket`/`key` bound (./framed-format.ts).
 * `length` = the exact plaintext length when known (checked).
 */
export function sealFramed(cfg: ResolvedConfig, bucket: string | undefined, key: string | undefined, body: unknown, length: number | undefined, o: EncryptedSendOptions): ReadableStream<Uint8Array> {
  const ctx = writeContext(cfg, bucket, key, o.encryptionContext ?? {});
  const source = length === undefined ? byteStream(body) : exactly(byteStream(body), length);
  return webFramedClient(cfg).encryptStream(source, { ...ctx, abortSignal: o.abortSignal, ...(length !== undefined && { plaintextLength: length }) }).readable;
}

/**
 * PutObject of a framed object. Browsers cannot stream a request body over HTTP/1.1 (Fetch Standard,
 * "duplex"), so the message is built in memory first: at most `bufferSize` bytes of plaintext; larger
 * bodies go through upload() (multipart, part by part).
 */
export async function putFramedWeb(cfg: ResolvedConfig, input: PutObjectCommandInput, o: EncryptedSendOptions): Promise<PutObjectCommandOutput> {
  const length = knownLength(input.Body) ?? input.ContentLength;
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) throw new StrongroomError('INVALID_ARGUMENT', 'ContentLength: a non-negative integer');
  if (length !== undefined && length > cfg.bufferSize) {
    throw new StrongroomError('LIMIT_EXCEEDED', `PutObject on the web entry builds the encrypted object in memory: this body is over bufferSize (${cfg.bufferSize} bytes); use upload()`);
  }
  const message = sealFramed(cfg, input.Bucket, input.Key, input.Body, length, o);
  // The message: at most a header of MAX_HEADER_BYTES, the plaintext and each frame's overhead.
  const body = await readAll(message, framedLength(MAX_HEADER_BYTES, cfg.frameLength, length ?? cfg.bufferSize), 'PutObject Body (use upload() for large bodies)');
  return cfg.client.send(new PutObjectCommand({ ...input, Body: body, ContentLength: body.length, Metadata: framedMetadata(input.Metadata) }), sendOpts(o));
}

/**
 * Full GET of a framed object (`res` = the plain GetObject response): the header is read and
 * authenticated before this returns (wrong key, location or context fail here), then the plaintext
 * streams frame by frame, each released after its tag verifies.
 */
export async function getFramedWeb(cfg: ResolvedConfig, input: GetObjectCommandInput, res: GetObjectCommandOutput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  const reader = byteStream(res.Body).getReader();
  const caller: EncryptionContext = o.encryptionContext ?? {};
  let prefix: Uint8Array = new Uint8Array(0);
  let bound = false;
  let out: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    while (framedHeaderNeed(prefix) > 0) {
      if (prefix.length > MAX_HEADER_BYTES) throw new StrongroomError('LIMIT_EXCEEDED', `The framed object's header is larger than ${MAX_HEADER_BYTES} bytes`);
      const r = await reader.read();
      if (r.done) throw malformed('The framed object is truncated inside its header');
      prefix = concatBytes([prefix, r.value]);
    }
    const parsed = framedHeaderOf(prefix);
    bound = Object.hasOwn(parsed.header.encryptionContext, BINDING_CONTEXT_KEY);
    const ctx = readContext(cfg, parsed.header.encryptionContext, input.Bucket, input.Key, caller);
    const plaintextLength = res.ContentLength === undefined ? undefined : framedLayout(parsed.length, parsed.header.frameLength, res.ContentLength).plaintextLength;
    const first = prefix;
    const message = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(first);
      },
      async pull(c) {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const opened = webFramedClient(cfg).decryptStream(message, { ...ctx, abortSignal: o.abortSignal });
    out = opened.readable.getReader();
    const firstRead = out.read(); // pulls the message through until the header (and the first frame) authenticated
    firstRead.catch(() => undefined);
    const { encryptionContext } = await opened.header;
    checkReadContext(encryptionContext, caller);
    const plaintext = released(out, firstRead);
    return { ...res, Body: sdkBody(plaintext) as unknown as GetObjectCommandOutput['Body'], ContentLength: plaintextLength };
  } catch (error) {
    if (out) void out.cancel().catch(() => {});
    else {
      void reader.cancel().catch(() => {});
      cancelBody(res.Body);
    }
    throw explainBindingFailure(error, input.Bucket, input.Key, bound);
  }
}

/** The verified plaintext as a stream (a frame that fails its tag errors it with the typed error). */
function released(out: ReadableStreamDefaultReader<Uint8Array>, firstRead: Promise<ReadResult>): ReadableStream<Uint8Array> {
  let pending: Promise<ReadResult> | undefined = firstRead;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const next = pending ?? out.read();
      pending = undefined;
      const r = await next;
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel: (reason) => out.cancel(reason),
  });
}
