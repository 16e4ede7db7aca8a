/**
 * Ranged GET of framed objects on the web entry: the same steps as the Node entry's
 * (./framed-plan.ts — one small ranged GET for the header, authenticated for the object's own bucket
 * and key before anything else is fetched; the frames covering the requested plaintext fetched with
 * one more ranged GET pinned to the probed ETag), each frame verified by core's web frame reader
 * before its plaintext is released, and exactly the requested slice returned with S3's range
 * semantics (./range-header.ts: 416 as the typed INVALID_ARGUMENT with `details.status` 416).
 * V2/V3 objects: a ranged read would be AES-CTR without the tag (unauthenticated), which the Node
 * entry serves only under `legacy.unauthenticatedModes` — an option the web entry does not take — so
 * they are refused, as the Node entry refuses them by default.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data, client-apis/decrypt.md;
 * s3-encryption/decryption.md#ranged-gets; S3 GetObject Range: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import { GetObjectCommand, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { StrongroomError, type WebFramedMessage, type WebFrameRunReader } from '@strongroom/core/web';
import { isFramedObject, unboundRefusal } from './framed-format';
import { fetchFrames, openProbed, planRange, plaintextWindow, probeInput, sendOpts, type ObjectInput, type ReadBody } from './framed-plan';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { byteStream, cancelBody, readAll, sdkBody } from './web-body';
import { webFramedClient } from './web-framed';

/** Reads a web response body whole, at most `limit` bytes. */
export const readWebBody: ReadBody = (body, limit, what) => readAll(byteStream(body), limit, what);

/** The probe: a GET of the object's first bytes (./framed-plan.ts). */
export function probeWeb(cfg: ResolvedConfig, input: ObjectInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  return cfg.client.send(new GetObjectCommand(probeInput(input)), sendOpts(o));
}

/** The probed object's header, whole and authenticated (./framed-plan.ts `openProbed`). */
export function openProbedWeb(cfg: ResolvedConfig, input: ObjectInput, probe: GetObjectCommandOutput, o: EncryptedSendOptions): Promise<{ message: WebFramedMessage; prefix: Uint8Array; total: number }> {
  return openProbed(cfg, input, probe, o, readWebBody, (bytes, options) => webFramedClient(cfg).openFramed(bytes, options));
}

/** GetObject with a Range on the web entry: framed objects authenticated, V2/V3 refused (see the module comment). */
export async function getObjectRangeWeb(cfg: ResolvedConfig, input: GetObjectCommandInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  const probe = await probeWeb(cfg, input, o);
  let framed: boolean;
  try {
    framed = isFramedObject(probe.Metadata);
  } catch (error) {
    cancelBody(probe.Body);
    throw error;
  }
  if (framed) return getFramedRangeWeb(cfg, input, probe, o);
  cancelBody(probe.Body);
  if (cfg.requireBinding) throw unboundRefusal();
  throw new StrongroomError(
    'UNSUPPORTED',
    'Range: a ranged GET of a V2/V3 object is unauthenticated (AES-CTR without the tag), so it needs legacy.unauthenticatedModes, which only the Node entry offers; ' +
      'get the whole object (authenticated), or write framed objects, whose ranged reads are authenticated',
  );
}

/** Ranged GET of a framed object; `probe` = the response to the probe. */
async function getFramedRangeWeb(cfg: ResolvedConfig, input: GetObjectCommandInput, probe: GetObjectCommandOutput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  let message: WebFramedMessage | undefined;
  try {
    const opened = await openProbedWeb(cfg, input, probe, o);
    message = opened.message;
    const { prefix, total } = opened;
    const { start, end, plaintextLength, span } = planRange(message, input.Range!, total);
    let res: GetObjectCommandOutput = probe;
    let source: ReadableStream<Uint8Array>;
    if (span.byteEnd < prefix.length) {
      source = byteStream(prefix.slice(span.byteStart, span.byteEnd + 1));
    } else {
      res = await fetchFrames(cfg, input, probe.ETag, span, total, o.abortSignal, cancelBody);
      source = byteStream(res.Body);
    }
    const reader = message.frameReader(span.firstSequence, span.lastSequence, span.lastIsFinal);
    const body = verifiedSlice(reader, message, source, span.skip, end - start + 1);
    return { ...res, Body: sdkBody(body) as unknown as GetObjectCommandOutput['Body'], ContentLength: end - start + 1, ContentRange: `bytes ${start}-${end}/${plaintextLength}` };
  } catch (error) {
    message?.destroy();
    cancelBody(probe.Body);
    throw error;
  }
}

/**
 * The frames of `source` opened by `reader`, minus `skip` leading plaintext bytes and cut at `length`:
 * each frame's plaintext is released only after its tag verifies (the last one after the run ended
 * exactly). The message key is forgotten when the stream ends, fails or is cancelled.
 */
function verifiedSlice(reader: WebFrameRunReader, message: WebFramedMessage, source: ReadableStream<Uint8Array>, skip: number, length: number): ReadableStream<Uint8Array> {
  const input = source.getReader();
  const cut = plaintextWindow(skip, length);
  const emit = (pieces: readonly Uint8Array[], c: ReadableStreamDefaultController<Uint8Array>): boolean => {
    const out = cut(pieces);
    for (const p of out) c.enqueue(p);
    return out.length > 0;
  };
  const stop = () => {
    reader.destroy();
    message.destroy();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        try {
          for (;;) {
            const r = await input.read();
            if (r.done) {
              emit(reader.end(), c);
              message.destroy();
              c.close();
              return;
            }
            if (emit(await reader.write(r.value), c)) return;
          }
        } catch (error) {
          stop();
          void input.cancel().catch(() => {});
          throw error;
        }
      },
      cancel(reason) {
        stop();
        return input.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
