/**
 * PutObject / GetObject on the web entry: framed objects streamed (./web-framed.ts); V3 (and V2) objects
 * encrypted and decrypted whole with Web Crypto's one-shot AES-GCM, so a GET authenticates the entire
 * object before releasing a byte, holding at most `bufferSize` bytes (a larger object is
 * LIMIT_EXCEEDED before anything is read). A GET with Range is ./web-framed-range.ts (framed objects,
 * authenticated). Envelopes live in object metadata; instruction files, ranged V2/V3 GETs (unauthenticated),
 * V1/CBC and delayed authentication are read by the Node entry only.
 * spec: s3-encryption/encryption.md, decryption.md, data-format/content-metadata.md, metadata-strategy.md.
 */
import {
  GetObjectCommand,
  PutObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { StrongroomError, throwIfAborted } from '@strongroom/core/web';
import { MAX_GCM_PLAINTEXT, TAG_LENGTH } from './content-params';
import { envelopeLocation, parseEnvelope, serializeEnvelope, type Envelope } from './envelope';
import { isFramedObject, unboundRefusal } from './framed-format';
import { existingMaterials, newMaterials } from './materials-core';
import { checkNoPlaintextChecksums, checkUserMetadata } from './metadata-checks';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { byteStream, cancelBody, knownLength, readAll, sdkBody } from './web-body';
import { WEB_KDF, openContent, sealContent } from './web-content-crypto';
import { getFramedWeb, putFramedWeb } from './web-framed';
import { getObjectRangeWeb } from './web-framed-range';

const sendOpts = (o: EncryptedSendOptions) => (o.abortSignal ? { abortSignal: o.abortSignal } : {});

function tooLarge(limit: number): StrongroomError {
  return new StrongroomError(
    'LIMIT_EXCEEDED',
    `The object is larger than bufferSize (${limit} bytes): a V2/V3 object is authenticated whole before any byte is released, so the web entry holds it in memory; raise bufferSize, or write large objects in the framed format (streamed frame by frame)`,
  );
}

/** Encrypted PutObject (framed, V3 or V2, as the client is configured). */
export async function putObjectWeb(cfg: ResolvedConfig, input: PutObjectCommandInput, o: EncryptedSendOptions): Promise<PutObjectCommandOutput> {
  throwIfAborted(o.abortSignal);
  checkUserMetadata(input.Metadata);
  checkNoPlaintextChecksums(input);
  if (cfg.writeFormat === 'framed') return putFramedWeb(cfg, input, o);
  const length = knownLength(input.Body) ?? input.ContentLength;
  if (length !== undefined && length > cfg.bufferSize) throw tooLarge(cfg.bufferSize);
  const plaintext = await readAll(byteStream(input.Body), cfg.bufferSize, 'PutObject Body (bufferSize)');
  if (input.ContentLength !== undefined && input.ContentLength !== plaintext.length) throw new StrongroomError('INVALID_ARGUMENT', 'Body length differs from ContentLength');
  if (plaintext.length > MAX_GCM_PLAINTEXT) throw new StrongroomError('INVALID_ARGUMENT', 'ContentLength: out of range for AES-GCM');
  const { body, metadata } = await sealWhole(cfg, plaintext, o);
  return cfg.client.send(new PutObjectCommand({ ...input, Body: body, ContentLength: body.length, Metadata: { ...(input.Metadata ?? {}), ...metadata } }), sendOpts(o));
}

/** A V3/V2 object body (ciphertext ‖ tag) under a fresh data key, and its envelope as object metadata. */
export async function sealWhole(cfg: ResolvedConfig, plaintext: Uint8Array, o: EncryptedSendOptions): Promise<{ body: Uint8Array; metadata: Record<string, string> }> {
  const materials = await newMaterials(WEB_KDF, cfg.providers[0]!, cfg.writeVersion, o.encryptionContext ?? {}, cfg.materialsDescription, plaintext.length, o.abortSignal, cfg.kmsKeyIds);
  try {
    const body = await sealContent(materials.params, plaintext);
    return { body, metadata: serializeEnvelope(materials.envelope, 'metadata').metadata };
  } finally {
    materials.wipe();
  }
}

/** The envelope of a V2/V3 object from its metadata (instruction files: Node entry). */
function envelopeOf(metadata: Record<string, string> | undefined): Envelope {
  const md = metadata ?? {};
  if (envelopeLocation(md) !== 'metadata') {
    throw new StrongroomError(
      'UNSUPPORTED',
      'The object shows no encryption metadata: its envelope is in an instruction file (read by the Node entry of @strongroom/s3 only), it is not encrypted, ' +
        "or — in a browser — the bucket's CORS configuration does not expose its x-amz-meta-* headers (docs/s3.md, \"In browsers and workers\")",
    );
  }
  return parseEnvelope(md);
}

/** Encrypted GetObject: framed objects streamed (or a verified range), V2/V3 objects authenticated whole (bounded by bufferSize). */
export async function getObjectWeb(cfg: ResolvedConfig, input: GetObjectCommandInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  throwIfAborted(o.abortSignal);
  if (input.Range !== undefined) return getObjectRangeWeb(cfg, input, o);
  if (input.PartNumber !== undefined) throw new StrongroomError('UNSUPPORTED', 'PartNumber: encrypted objects cannot be read by part');
  const res = await cfg.client.send(new GetObjectCommand(input), sendOpts(o));
  let body: Uint8Array;
  try {
    // spec: decryption.md — a Content-Range on a request without Range means a part was served.
    if (res.ContentRange) throw new StrongroomError('MALFORMED', 'GetObject returned a Content-Range for a request without Range');
    if (isFramedObject(res.Metadata)) return await getFramedWeb(cfg, input, res, o);
    if (cfg.requireBinding) throw unboundRefusal();
    const env = envelopeOf(res.Metadata);
    if (env.version !== 3 && !cfg.readV2) {
      throw new StrongroomError('COMMITMENT_POLICY', `commitmentPolicy REQUIRE_ENCRYPT_REQUIRE_DECRYPT forbids reading this V${env.version} (non-committing) object`);
    }
    if (env.contentAlgorithm === 'cbc' || env.version === 1) throw new StrongroomError('UNSUPPORTED', 'V1 / AES-CBC objects are read by the Node entry of @strongroom/s3 only (legacy modes)');
    if (res.ContentLength !== undefined && res.ContentLength - TAG_LENGTH > cfg.bufferSize) throw tooLarge(cfg.bufferSize);
    const materials = await existingMaterials(WEB_KDF, cfg.providers, env, {
      encryptionContext: o.encryptionContext ?? {},
      legacyWrapping: cfg.legacyWrapping,
      kmsKeyIds: cfg.kmsKeyIds,
      abortSignal: o.abortSignal,
    });
    try {
      let ciphertext: Uint8Array;
      try {
        ciphertext = await readAll(byteStream(res.Body), cfg.bufferSize + TAG_LENGTH, 'GetObject Body');
      } catch (error) {
        throw StrongroomError.isInstance(error, 'LIMIT_EXCEEDED') ? tooLarge(cfg.bufferSize) : error;
      }
      body = await openContent(materials.params, ciphertext);
    } finally {
      materials.wipe();
    }
  } catch (error) {
    cancelBody(res.Body);
    throw error;
  }
  const plaintext = new ReadableStream<Uint8Array>({
    start(c) {
      if (body.length > 0) c.enqueue(body);
      c.close();
    },
  });
  return { ...res, Body: sdkBody(plaintext) as unknown as GetObjectCommandOutput['Body'], ContentLength: body.length };
}
