/**
 * Encrypted PutObject / GetObject / HeadObject / DeleteObject(s).
 * spec: s3-encryption/encryption.md, decryption.md, data-format/metadata-strategy.md.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type DeleteObjectCommandInput,
  type DeleteObjectCommandOutput,
  type DeleteObjectsCommandInput,
  type DeleteObjectsCommandOutput,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type HeadObjectCommandInput,
  type HeadObjectCommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { CipherGCM } from 'node:crypto';
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import { collect, destroyBody, inMemoryBytes, iterateBody, readableOf, type SdkReadable } from './body';
import { createContentCipher, createCbcDecipher, createCtrDecipherAt, MAX_GCM_PLAINTEXT, TAG_LENGTH } from './content-crypto';
import { createGcmDecipherNoTag, decryptCbcStream, decryptGcmBuffered, gcmDecryptSteps, tooLarge } from './decrypt-body';
import { asNodeReadable, pumpReadable } from './body-pump';
import {
  envelopeLocation,
  MAX_INSTRUCTION_FILE_BYTES,
  parseEnvelope,
  parseInstructionFile,
  serializeEnvelope,
  type Envelope,
} from './envelope';
import { existingObjectMaterials, newObjectMaterials, type ContentMaterials } from './materials';
import * as K from './metadata-keys';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { isFramedObject, unboundRefusal } from './framed-format';
import { checkNoPlaintextChecksums, checkUserMetadata } from './metadata-checks';
import { getFramedObject, getFramedRange, headFramed, isFramedResponse, probeObject } from './framed-read';
import { putFramed } from './framed-write';
import { ciphertextRangeFor, decryptRange } from './ranged-get';
import { isSuffixRange, notSatisfiable, parseContentRange, parseRange } from './range-header';
import {
  digestMetadata,
  dropStagedInstruction,
  INSTRUCTION_DIGEST_METADATA,
  instructionDigest,
  publishInstruction,
  stageInstruction,
  stagedInstructionKey,
} from './instruction-commit';

const sendOpts = (o: EncryptedSendOptions) => (o.abortSignal ? { abortSignal: o.abortSignal } : {});

export { checkNoPlaintextChecksums, checkUserMetadata, isReservedMetadata } from './metadata-checks';

async function* encryptStream(source: AsyncIterable<Uint8Array>, cipher: CipherGCM, expected: number): AsyncGenerator<Buffer> {
  let n = 0;
  try {
    for await (const chunk of source) {
      n += chunk.length;
      if (n > expected) throw new StrongroomError('INVALID_ARGUMENT', 'Body is longer than ContentLength');
      yield cipher.update(chunk);
    }
    if (n !== expected) throw new StrongroomError('INVALID_ARGUMENT', 'Body is shorter than ContentLength');
    yield Buffer.concat([cipher.final(), cipher.getAuthTag()]);
  } finally {
    destroyBody(source);
  }
}

/** Encrypted PutObject. */
export async function putObject(cfg: ResolvedConfig, input: PutObjectCommandInput, o: EncryptedSendOptions): Promise<PutObjectCommandOutput> {
  throwIfAborted(o.abortSignal);
  checkUserMetadata(input.Metadata);
  checkNoPlaintextChecksums(input);
  if (cfg.writeFormat === 'framed') return putFramed(cfg, input, o);
  let bytes = await inMemoryBytes(input.Body);
  if (bytes === undefined && input.ContentLength === undefined) {
    // A stream of unknown length: S3 needs Content-Length, so hold it (bounded); upload() streams instead.
    bytes = await collect(iterateBody(input.Body), cfg.bufferSize, 'PutObject Body without ContentLength (use upload() for large streams)');
  }
  const plaintextLength = bytes ? bytes.length : input.ContentLength!;
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0 || plaintextLength > MAX_GCM_PLAINTEXT) {
    throw new StrongroomError('INVALID_ARGUMENT', 'ContentLength: out of range for AES-GCM');
  }
  const materials = await newObjectMaterials(
    cfg.providers[0]!,
    cfg.writeVersion,
    o.encryptionContext ?? {},
    cfg.materialsDescription,
    plaintextLength,
    o.abortSignal,
    cfg.kmsKeyIds,
  );
  let body: Buffer | SdkReadable;
  try {
    if (bytes) {
      const c = createContentCipher(materials.params);
      body = Buffer.concat([c.update(bytes), c.final(), c.getAuthTag()]);
    } else {
      // The cipher is created now, before the key is wiped (OpenSSL keeps its own copy).
      body = readableOf(encryptStream(iterateBody(input.Body), createContentCipher(materials.params), plaintextLength));
    }
  } finally {
    materials.wipe();
  }
  const ser = serializeEnvelope(materials.envelope, cfg.envelopeLocation);
  // Instruction file: staged under its own name first, published after the object (./instruction-commit.ts).
  const staged = ser.instruction ? await stageInstruction(cfg, input.Bucket, input.Key, ser.instruction, o) : undefined;
  let out: PutObjectCommandOutput;
  try {
    out = await cfg.client.send(
      new PutObjectCommand({
        ...input,
        Body: body,
        ContentLength: plaintextLength + TAG_LENGTH,
        Metadata: { ...(input.Metadata ?? {}), ...ser.metadata, ...digestMetadata(staged) },
      }),
      sendOpts(o),
    );
  } catch (error) {
    if (staged) await dropStagedInstruction(cfg, input.Bucket, input.Key, staged);
    throw error;
  }
  if (staged) await publishInstruction(cfg, input.Bucket, input.Key, staged, o);
  return out;
}

/**
 * Read and parse the instruction file of `key`; undefined when there is none. When the object's
 * metadata names the digest of its instruction file (objects this client wrote), the file must match
 * it: `key.instruction` when it does, else the staged copy (./instruction-commit.ts).
 */
async function getInstructionFile(
  cfg: ResolvedConfig,
  bucket: string | undefined,
  key: string | undefined,
  metadata: Record<string, string>,
  o: EncryptedSendOptions,
): Promise<Record<string, string> | undefined> {
  const want = metadata[INSTRUCTION_DIGEST_METADATA];
  if (want !== undefined && !/^[0-9a-f]{64}$/.test(want)) throw new StrongroomError('MALFORMED', `${INSTRUCTION_DIGEST_METADATA}: not a SHA-256 digest`);
  const bytes = await readInstructionFile(cfg, bucket, `${key}${cfg.instructionSuffix}`, o);
  if (want === undefined) return bytes && parseInstructionFile(bytes);
  if (bytes && instructionDigest(bytes) === want) return parseInstructionFile(bytes);
  const staged = await readInstructionFile(cfg, bucket, stagedInstructionKey(cfg, key, want), o);
  if (staged && instructionDigest(staged) === want) return parseInstructionFile(staged);
  throw new StrongroomError('MALFORMED', `instruction file: neither ${key}${cfg.instructionSuffix} nor its staged copy matches the object's ${INSTRUCTION_DIGEST_METADATA}`);
}

async function readInstructionFile(cfg: ResolvedConfig, bucket: string | undefined, name: string, o: EncryptedSendOptions): Promise<Uint8Array | undefined> {
  let res: GetObjectCommandOutput;
  try {
    res = await cfg.client.send(new GetObjectCommand({ Bucket: bucket, Key: name }), sendOpts(o));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      return undefined;
    }
    throw error;
  }
  if ((res.ContentLength ?? 0) > MAX_INSTRUCTION_FILE_BYTES) {
    destroyBody(res.Body);
    throw new StrongroomError('MALFORMED', 'instruction file: larger than 64 KiB');
  }
  return collect(iterateBody(res.Body), MAX_INSTRUCTION_FILE_BYTES, 'instruction file');
}

/** Find and parse the envelope of an object whose metadata we have. */
export async function loadEnvelope(
  cfg: ResolvedConfig,
  bucket: string | undefined,
  key: string | undefined,
  metadata: Record<string, string> | undefined,
  o: EncryptedSendOptions,
): Promise<Envelope> {
  const md = metadata ?? {};
  if (envelopeLocation(md) === 'metadata') return parseEnvelope(md);
  const instruction = await getInstructionFile(cfg, bucket, key, md, o);
  if (!instruction) {
    throw new StrongroomError('MALFORMED', 'object is not encrypted with the S3 Encryption Client: no envelope in its metadata and no instruction file');
  }
  return parseEnvelope(md, instruction);
}

/** Enforce the commitment policy and legacy gates before any key is unwrapped. */
function checkReadable(cfg: ResolvedConfig, env: Envelope): void {
  if (env.version !== 3 && !cfg.readV2) {
    throw new StrongroomError('COMMITMENT_POLICY', `commitmentPolicy REQUIRE_ENCRYPT_REQUIRE_DECRYPT forbids reading this V${env.version} (non-committing) object`);
  }
  if (env.contentAlgorithm === 'cbc' && !cfg.unauthenticatedModes) {
    throw new StrongroomError('UNSUPPORTED', 'object content is AES-CBC (legacy, unauthenticated); set legacy.unauthenticatedModes to read it');
  }
  if (env.version === 1 && !cfg.legacyWrapping) {
    throw new StrongroomError('UNSUPPORTED', 'object uses the V1 format with a legacy wrapping algorithm; set legacy.wrappingAlgorithms to read it');
  }
}

async function materialsFor(cfg: ResolvedConfig, env: Envelope, o: EncryptedSendOptions): Promise<ContentMaterials> {
  checkReadable(cfg, env);
  return existingObjectMaterials(cfg.providers, env, {
    encryptionContext: o.encryptionContext ?? {},
    legacyWrapping: cfg.legacyWrapping,
    kmsKeyIds: cfg.kmsKeyIds,
    abortSignal: o.abortSignal,
  });
}

/**
 * Plaintext length from the stored (ciphertext) length — never from `x-amz-unencrypted-content-length`,
 * which anyone who can write the object's metadata can set. GCM: the ciphertext is the plaintext plus
 * the 16-byte tag. CBC (legacy, PKCS#7 padding): the plaintext is 1–16 bytes shorter than the
 * ciphertext, a multiple of 16; the metadata value is reported only when it lies in that window.
 * spec: s3-encryption/data-format/content-metadata.md (x-amz-unencrypted-content-length is informational).
 */
export function plaintextLength(env: Pick<Envelope, 'contentAlgorithm' | 'unencryptedContentLength'>, stored: number | undefined): number | undefined {
  if (stored === undefined) return undefined;
  if (env.contentAlgorithm !== 'cbc') {
    if (stored < TAG_LENGTH) throw new StrongroomError('MALFORMED', 'S3EC object is shorter than its 16-byte tag');
    return stored - TAG_LENGTH;
  }
  if (stored < 16 || stored % 16 !== 0) throw new StrongroomError('MALFORMED', 'AES-CBC object length is not a positive multiple of 16');
  const claimed = env.unencryptedContentLength;
  if (claimed === undefined) return undefined;
  if (claimed < stored - 16 || claimed > stored - 1) {
    throw new StrongroomError('MALFORMED', `x-amz-unencrypted-content-length (${claimed}) contradicts the ${stored}-byte AES-CBC ciphertext`);
  }
  return claimed;
}

/** requireBinding: only framed objects bound to their location are read. */
function refuseUnbound(cfg: ResolvedConfig): void {
  if (cfg.requireBinding) throw unboundRefusal();
}

/** Encrypted GetObject: full (buffered or delayed-auth) or ranged (CTR, unauthenticated). */
export async function getObject(cfg: ResolvedConfig, input: GetObjectCommandInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  throwIfAborted(o.abortSignal);
  if (input.Range !== undefined) {
    // The first bytes say which format this is: a framed object's header, read for its ranged GET.
    const probe = await probeObject(cfg, input, o);
    if (isFramedResponse(probe)) return getFramedRange(cfg, input, probe, o);
    destroyBody(probe.Body);
    refuseUnbound(cfg);
    return getObjectRange(cfg, input, o);
  }
  if (input.PartNumber !== undefined) {
    throw new StrongroomError('UNSUPPORTED', 'PartNumber: encrypted objects cannot be read by part (the tag covers the whole object)');
  }
  const res = await cfg.client.send(new GetObjectCommand(input), sendOpts(o));
  // spec: decryption.md — a Content-Range on a request without Range means a part was served.
  if (res.ContentRange) {
    destroyBody(res.Body);
    throw new StrongroomError('MALFORMED', 'GetObject returned a Content-Range for a request without Range');
  }
  if (isFramedResponse(res)) return getFramedObject(cfg, input, res, o);
  if (cfg.requireBinding) {
    destroyBody(res.Body);
    refuseUnbound(cfg);
  }
  let materials: ContentMaterials;
  let env: Envelope;
  let length: number | undefined;
  try {
    env = await loadEnvelope(cfg, input.Bucket, input.Key, res.Metadata, o);
    const stored = res.ContentLength;
    if (env.contentAlgorithm !== 'cbc' && !cfg.delayedAuthentication && stored !== undefined && stored - TAG_LENGTH > cfg.bufferSize) {
      throw tooLarge(cfg.bufferSize);
    }
    materials = await materialsFor(cfg, env, o);
    try {
      length = plaintextLength(env, stored);
    } catch (error) {
      materials.wipe();
      throw error;
    }
  } catch (error) {
    destroyBody(res.Body);
    throw error;
  }
  const source = iterateBody(res.Body);
  let body: SdkReadable;
  if (env.contentAlgorithm === 'cbc') {
    const d = createCbcDecipher(materials.params.key, materials.params.iv);
    materials.wipe();
    body = readableOf(decryptCbcStream(source, d, length));
  } else {
    const d = createGcmDecipherNoTag(materials.params);
    materials.wipe();
    if (cfg.delayedAuthentication) {
      // The response's own chunks are decrypted into the returned stream (no pipeline in between).
      body = pumpReadable(asNodeReadable(source), gcmDecryptSteps(d, res.ContentLength));
    } else {
      const expected = res.ContentLength === undefined ? undefined : res.ContentLength - TAG_LENGTH;
      const chunks = await decryptGcmBuffered(source, d, cfg.bufferSize, expected !== undefined && expected >= 0 ? expected : undefined);
      body = readableOf(chunks);
    }
  }
  const out: GetObjectCommandOutput = { ...res, Body: body as GetObjectCommandOutput['Body'] };
  out.ContentLength = length;
  return out;
}

async function getObjectRange(cfg: ResolvedConfig, input: GetObjectCommandInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  // spec: decryption.md#ranged-gets — Java requires enableLegacyUnauthenticatedModes for ranged GETs.
  if (!cfg.unauthenticatedModes) {
    throw new StrongroomError('UNSUPPORTED', 'ranged GETs of encrypted objects are unauthenticated; set legacy.unauthenticatedModes to use Range');
  }
  let rangeHeader = input.Range!;
  if (isSuffixRange(rangeHeader)) {
    // Needs the length first (and s3rver serves suffix ranges wrongly): resolve with a HEAD.
    const head = await headObject(cfg, { Bucket: input.Bucket, Key: input.Key, VersionId: input.VersionId }, o);
    const len = head.ContentLength ?? 0;
    const r = parseRange(rangeHeader, len);
    if (len === 0) throw notSatisfiable(rangeHeader);
    rangeHeader = `bytes=${r.start}-${r.end}`;
  }
  const r = parseRange(rangeHeader);
  const fetchRange = ciphertextRangeFor(r);
  const res = await cfg.client.send(new GetObjectCommand({ ...input, Range: fetchRange }), sendOpts(o));
  let materials: ContentMaterials;
  let cr: { start: number; total: number };
  let env: Envelope;
  let end: number;
  try {
    cr = parseContentRange(res.ContentRange);
    env = await loadEnvelope(cfg, input.Bucket, input.Key, res.Metadata, o);
    if (env.contentAlgorithm === 'cbc') throw new StrongroomError('UNSUPPORTED', 'ranged GET of AES-CBC objects is not supported');
    const plainLen = cr.total - TAG_LENGTH;
    if (cr.start !== r.start - (r.start % 16)) throw new StrongroomError('MALFORMED', 'ranged GET response starts at the wrong offset');
    if (r.start >= plainLen) throw notSatisfiable(input.Range!);
    end = Math.min(r.end ?? plainLen - 1, plainLen - 1);
    materials = await materialsFor(cfg, env, o);
  } catch (error) {
    destroyBody(res.Body);
    throw error;
  }
  const ctr = createCtrDecipherAt(materials.params, cr.start / 16);
  materials.wipe();
  const body = readableOf(decryptRange(iterateBody(res.Body), ctr, cr.start, r.start, end));
  return {
    ...res,
    Body: body as GetObjectCommandOutput['Body'],
    ContentLength: end - r.start + 1,
    ContentRange: `bytes ${r.start}-${end}/${cr.total - TAG_LENGTH}`,
  };
}

/** HeadObject with ContentLength reported as the plaintext length. */
export async function headObject(cfg: ResolvedConfig, input: HeadObjectCommandInput, o: EncryptedSendOptions): Promise<HeadObjectCommandOutput> {
  const res = await cfg.client.send(new HeadObjectCommand(input), sendOpts(o));
  const md = res.Metadata ?? {};
  if (isFramedObject(md)) return headFramed(cfg, input, res, o);
  let env: Envelope | undefined;
  if (envelopeLocation(md) === 'metadata') env = parseEnvelope(md);
  else if (md[K.CONTENT_CIPHER_V3] !== undefined) return { ...res, ContentLength: plaintextLength({ contentAlgorithm: 'committing', unencryptedContentLength: undefined }, res.ContentLength) };
  else {
    // V1/V2 with an instruction file: its content algorithm decides how the length is computed (the
    // x-amz-unencrypted-content-length metadata is never taken on trust).
    const instruction = await getInstructionFile(cfg, input.Bucket, input.Key, md, o);
    if (!instruction) return res; // not an S3EC object: pass through unchanged
    env = parseEnvelope(md, instruction);
  }
  const len = plaintextLength(env, res.ContentLength);
  return len === undefined ? res : { ...res, ContentLength: len };
}

/** DeleteObject, then the instruction file (as Java does). */
export async function deleteObject(cfg: ResolvedConfig, input: DeleteObjectCommandInput, o: EncryptedSendOptions): Promise<DeleteObjectCommandOutput> {
  const out = await cfg.client.send(new DeleteObjectCommand(input), sendOpts(o));
  await cfg.client.send(new DeleteObjectCommand({ Bucket: input.Bucket, Key: `${input.Key}${cfg.instructionSuffix}` }), sendOpts(o));
  return out;
}

/** DeleteObjects, then the matching instruction files (batches of 1000, quiet). */
export async function deleteObjects(cfg: ResolvedConfig, input: DeleteObjectsCommandInput, o: EncryptedSendOptions): Promise<DeleteObjectsCommandOutput> {
  const out = await cfg.client.send(new DeleteObjectsCommand(input), sendOpts(o));
  const keys = (input.Delete?.Objects ?? []).filter((x) => x.Key !== undefined && !x.Key.endsWith(cfg.instructionSuffix));
  const errors = [...(out.Errors ?? [])];
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000).map((x) => ({ Key: `${x.Key}${cfg.instructionSuffix}` }));
    const r = await cfg.client.send(
      new DeleteObjectsCommand({ Bucket: input.Bucket, Delete: { Objects: batch, Quiet: true } }),
      sendOpts(o),
    );
    errors.push(...(r.Errors ?? []));
  }
  return errors.length ? { ...out, Errors: errors } : out;
}
