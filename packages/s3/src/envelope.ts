/**
 * The S3EC envelope (content metadata) as one typed value, and its strict parser and serializer.
 * spec: s3-encryption/data-format/content-metadata.md (mapkeys, values, "Determining S3EC Object
 * Status") and metadata-strategy.md (object metadata vs instruction file; V3 split).
 *
 * The parser is the attack surface for anyone who can write object metadata or an instruction file:
 * it allowlists algorithm names, caps every length before decoding, and rejects envelopes that mix
 * version-exclusive mapkeys (the spec's SHOULD, made a MUST here).
 */
import { malformed } from '@strongroom/core';
import * as K from './metadata-keys';
import type { WrapAlgorithm } from './metadata-keys';
import { toBase64 } from './bytes';
import { checkStringMap, decodeBase64, parseDecimal, parseStringMap, stringifyStringMap } from './strict';

/** S3 Encryption Client object format version. */
export type FormatVersion = 1 | 2 | 3;
/** `gcm` = AES/GCM/NoPadding (V2), `cbc` = AES/CBC/PKCS5Padding (V1/V2 legacy), `committing` = suite 115 (V3). */
export type ContentAlgorithm = 'gcm' | 'cbc' | 'committing';

/** A parsed S3 Encryption Client envelope (object metadata or instruction file). */
export interface Envelope {
  readonly version: FormatVersion;
  readonly wrapAlgorithm: WrapAlgorithm;
  readonly contentAlgorithm: ContentAlgorithm;
  /** The wrapped content-encryption key (x-amz-key / x-amz-key-v2 / x-amz-3). */
  readonly encryptedKey: Uint8Array;
  /** Content IV (V1/V2 only): 12 bytes for GCM, 16 for CBC. */
  readonly iv: Uint8Array | undefined;
  /** Raw-key materials description (x-amz-matdesc / x-amz-m). For V1/V2 KMS this is the context. */
  readonly materialsDescription: Readonly<Record<string, string>>;
  /** KMS encryption context (V3 x-amz-t; V1/V2 KMS: the matdesc). */
  readonly encryptionContext: Readonly<Record<string, string>> | undefined;
  /** V3: 28-byte key commitment and message id. */
  readonly commitment: Uint8Array | undefined;
  readonly messageId: Uint8Array | undefined;
  /** x-amz-unencrypted-content-length when present (never required: Java does not write it). */
  readonly unencryptedContentLength: number | undefined;
}

/** Largest wrapped key accepted: a KMS CiphertextBlob is ≤ 6144 bytes; RSA-16384 is 2048. */
export const MAX_ENCRYPTED_KEY_BYTES = 6144;
/** Largest instruction file read (bytes). */
export const MAX_INSTRUCTION_FILE_BYTES = 64 * 1024;
const MAX_VALUE_CHARS = 16 * 1024;

type Map = Readonly<Record<string, string | undefined>>;

function has(m: Map, k: string): boolean {
  return m[k] !== undefined;
}

function value(m: Map, k: string): string {
  const v = m[k];
  if (v === undefined) throw malformed(`${k}: required mapkey is missing`);
  if (v.length > MAX_VALUE_CHARS) throw malformed(`${k}: value too long`);
  return v;
}

/** Which version-exclusive families of mapkeys appear in `m`. */
function families(m: Map): { v1: boolean; v2: boolean; v3: boolean; shared: boolean } {
  return {
    v1: K.V1_EXCLUSIVE.some((k) => has(m, k)),
    v2: K.V2_EXCLUSIVE.some((k) => has(m, k)),
    v3: K.V3_EXCLUSIVE.some((k) => has(m, k)),
    shared: K.V1V2_SHARED.some((k) => has(m, k)),
  };
}

/**
 * What the object metadata says about where the envelope is.
 * - `metadata`: a complete envelope is in the metadata;
 * - `instruction-file`: the metadata has no V1/V2 envelope (or only the V3 content binding), so the
 *   envelope must be read from the instruction file;
 * spec: content-metadata.md#determining-s3ec-object-status
 * @throws StrongroomError MALFORMED when version-exclusive mapkeys are mixed.
 */
export function envelopeLocation(metadata: Map): 'metadata' | 'instruction-file' {
  const f = families(metadata);
  if ((f.v1 ? 1 : 0) + (f.v2 ? 1 : 0) + (f.v3 ? 1 : 0) > 1 || (f.v3 && f.shared)) {
    throw malformed('object metadata mixes mapkeys of different S3EC format versions');
  }
  if (f.v3) return has(metadata, K.ENCRYPTED_DATA_KEY_V3) ? 'metadata' : 'instruction-file';
  if ((f.v1 || f.v2) && has(metadata, K.IV)) return 'metadata';
  if (f.v1 || f.v2 || f.shared) throw malformed('object metadata holds an incomplete S3EC envelope');
  return 'instruction-file';
}

/** Parse an instruction file body into a flat string map (size-capped, strings only). */
export function parseInstructionFile(body: Uint8Array): Record<string, string> {
  if (body.length > MAX_INSTRUCTION_FILE_BYTES) throw malformed('instruction file: larger than 64 KiB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw malformed('instruction file: not UTF-8 JSON');
  }
  return checkStringMap(parsed, 'instruction file', 64);
}

function unencryptedLength(m: Map): number | undefined {
  const v = m[K.UNENCRYPTED_LENGTH];
  return v === undefined ? undefined : parseDecimal(v, K.UNENCRYPTED_LENGTH);
}

function parseV1V2(m: Map, version: 1 | 2, fallbackLength: number | undefined): Envelope {
  const keyName = version === 1 ? K.KEY_V1 : K.KEY_V2;
  const encryptedKey = decodeBase64(value(m, keyName), keyName, 1, MAX_ENCRYPTED_KEY_BYTES);
  const matdescRaw = m[K.MATDESC];
  // spec: x-amz-matdesc MUST be present for V1/V2; Ruby/Java always write at least "{}".
  const materialsDescription = parseStringMap(matdescRaw ?? value(m, K.MATDESC), K.MATDESC);

  let wrapAlgorithm: WrapAlgorithm;
  let contentAlgorithm: ContentAlgorithm;
  if (version === 2) {
    const wrap = value(m, K.WRAP_ALG);
    if (!K.CURRENT_WRAP_ALGORITHMS.has(wrap) && !K.LEGACY_WRAP_ALGORITHMS.has(wrap)) {
      throw malformed(`${K.WRAP_ALG}: unsupported wrapping algorithm`);
    }
    wrapAlgorithm = wrap as WrapAlgorithm;
    const cek = value(m, K.CEK_ALG);
    if (cek === K.CEK_GCM) contentAlgorithm = 'gcm';
    else if (cek === K.CEK_CBC || cek === K.CEK_CBC_PKCS7) contentAlgorithm = 'cbc';
    else throw malformed(`${K.CEK_ALG}: unsupported content algorithm`);
    if (contentAlgorithm === 'gcm') {
      // spec: x-amz-tag-len MUST be present for GCM; only 128 is valid.
      if (value(m, K.TAG_LEN) !== '128') throw malformed(`${K.TAG_LEN}: only 128 is supported`);
    } else if (has(m, K.TAG_LEN)) {
      throw malformed(`${K.TAG_LEN}: MUST NOT be present for CBC content`);
    }
  } else {
    // V1 has no wrap-alg mapkey: the wrap is implied by the key type (AES/ECB or RSA PKCS#1), or
    // `kms` when the matdesc names a KMS key; content is always CBC.
    wrapAlgorithm = materialsDescription[K.RESERVED_KMS_CMK_ID] !== undefined ? 'kms' : 'AES';
    contentAlgorithm = 'cbc';
  }
  const iv = decodeBase64(value(m, K.IV), K.IV, contentAlgorithm === 'cbc' ? 16 : 12, contentAlgorithm === 'cbc' ? 16 : 12);
  const isKms = wrapAlgorithm === 'kms' || wrapAlgorithm === 'kms+context';
  return {
    version,
    wrapAlgorithm,
    contentAlgorithm,
    encryptedKey,
    iv,
    materialsDescription,
    encryptionContext: isKms ? materialsDescription : undefined,
    commitment: undefined,
    messageId: undefined,
    unencryptedContentLength: unencryptedLength(m) ?? fallbackLength,
  };
}

function parseV3(binding: Map, keyPart: Map): Envelope {
  const cek = value(binding, K.CONTENT_CIPHER_V3);
  if (cek !== K.CEK_COMMITTING) throw malformed(`${K.CONTENT_CIPHER_V3}: unsupported content algorithm`);
  const code = value(keyPart, K.WRAP_ALG_V3);
  const wrapAlgorithm = K.WRAP_V3_CODES.get(code);
  if (!wrapAlgorithm) throw malformed(`${K.WRAP_ALG_V3}: unsupported wrapping algorithm`);
  const encryptedKey = decodeBase64(value(keyPart, K.ENCRYPTED_DATA_KEY_V3), K.ENCRYPTED_DATA_KEY_V3, 1, MAX_ENCRYPTED_KEY_BYTES);
  const m = keyPart[K.MAT_DESC_V3];
  const t = keyPart[K.ENCRYPTION_CONTEXT_V3];
  const isKms = wrapAlgorithm === 'kms+context';
  // spec: x-amz-m is for raw keyrings, x-amz-t for kms+context; the wrong one is a malformed envelope.
  if (isKms && m !== undefined) throw malformed(`${K.MAT_DESC_V3}: not allowed with kms+context`);
  if (!isKms && t !== undefined) throw malformed(`${K.ENCRYPTION_CONTEXT_V3}: only allowed with kms+context`);
  return {
    version: 3,
    wrapAlgorithm,
    contentAlgorithm: 'committing',
    encryptedKey,
    iv: undefined,
    materialsDescription: m === undefined ? {} : parseStringMap(m, K.MAT_DESC_V3),
    encryptionContext: isKms ? (t === undefined ? {} : parseStringMap(t, K.ENCRYPTION_CONTEXT_V3)) : undefined,
    commitment: decodeBase64(value(binding, K.KEY_COMMITMENT_V3), K.KEY_COMMITMENT_V3, 28, 28),
    messageId: decodeBase64(value(binding, K.MESSAGE_ID_V3), K.MESSAGE_ID_V3, 28, 28),
    unencryptedContentLength: undefined,
  };
}

/**
 * Parse an envelope from object metadata, and (when the metadata says so) the instruction file.
 * @param metadata the object's user metadata (SDK `Metadata`, keys lower-case, no `x-amz-meta-`)
 * @param instruction the parsed instruction file, when the envelope is there
 * @throws StrongroomError MALFORMED for any deviation from the format
 */
export function parseEnvelope(metadata: Map, instruction?: Map): Envelope {
  const location = envelopeLocation(metadata);
  if (location === 'metadata') {
    const f = families(metadata);
    if (f.v3) return parseV3(metadata, metadata);
    return parseV1V2(metadata, f.v1 ? 1 : 2, undefined);
  }
  if (!instruction) throw malformed('object is not encrypted with the S3 Encryption Client (no envelope found)');
  const fi = families(instruction);
  const fm = families(metadata);
  if (fm.v3) {
    // spec (metadata-strategy.md): x-amz-c, x-amz-d, x-amz-i MUST be stored only in object metadata,
    // so that re-wrapping the key in the instruction file cannot change the content binding.
    for (const k of [K.CONTENT_CIPHER_V3, K.KEY_COMMITMENT_V3, K.MESSAGE_ID_V3]) {
      if (has(instruction, k)) throw malformed(`instruction file: ${k} must only be stored in object metadata`);
    }
    if (fi.v1 || fi.v2 || fi.shared) throw malformed('instruction file mixes S3EC format versions');
    return parseV3(metadata, instruction);
  }
  if ((fi.v1 ? 1 : 0) + (fi.v2 ? 1 : 0) + (fi.v3 ? 1 : 0) !== 1 || fi.v3) {
    throw malformed('instruction file does not hold exactly one V1/V2 envelope');
  }
  // Ruby keeps x-amz-unencrypted-content-length in the object metadata when using instruction files.
  return parseV1V2(instruction, fi.v1 ? 1 : 2, unencryptedLength(metadata));
}

export interface SerializedEnvelope {
  /** Mapkeys for the object's user metadata. */
  readonly metadata: Record<string, string>;
  /** Body of the instruction file (when the envelope goes there). */
  readonly instruction: Record<string, string> | undefined;
}

const b64 = (u: Uint8Array): string => toBase64(u);

/** Serialize a V2 or V3 envelope for writing, in object metadata or split with an instruction file. */
export function serializeEnvelope(env: Envelope, location: 'metadata' | 'instruction-file'): SerializedEnvelope {
  if (env.version === 3) {
    const binding: Record<string, string> = {
      [K.CONTENT_CIPHER_V3]: K.CEK_COMMITTING,
      [K.KEY_COMMITMENT_V3]: b64(env.commitment!),
      [K.MESSAGE_ID_V3]: b64(env.messageId!),
    };
    const key: Record<string, string> = {
      [K.ENCRYPTED_DATA_KEY_V3]: b64(env.encryptedKey),
      [K.WRAP_ALG_V3]: K.WRAP_V3_BY_NAME.get(env.wrapAlgorithm)!,
    };
    if (env.wrapAlgorithm === 'kms+context') key[K.ENCRYPTION_CONTEXT_V3] = stringifyStringMap(env.encryptionContext ?? {});
    else key[K.MAT_DESC_V3] = stringifyStringMap(env.materialsDescription);
    return location === 'metadata'
      ? { metadata: { ...binding, ...key }, instruction: undefined }
      : { metadata: binding, instruction: key };
  }
  if (env.version !== 2 || env.contentAlgorithm !== 'gcm') throw malformed('only V2 (GCM) and V3 envelopes are written');
  const full: Record<string, string> = {
    [K.KEY_V2]: b64(env.encryptedKey),
    [K.IV]: b64(env.iv!),
    [K.MATDESC]: stringifyStringMap(env.wrapAlgorithm === 'kms+context' ? env.encryptionContext ?? {} : env.materialsDescription),
    [K.WRAP_ALG]: env.wrapAlgorithm,
    [K.CEK_ALG]: K.CEK_GCM,
    [K.TAG_LEN]: '128',
  };
  const length: Record<string, string> =
    env.unencryptedContentLength === undefined ? {} : { [K.UNENCRYPTED_LENGTH]: String(env.unencryptedContentLength) };
  return location === 'metadata'
    ? { metadata: { ...full, ...length }, instruction: undefined }
    : { metadata: length, instruction: full };
}

/** Remove envelope mapkeys from user metadata (what a caller sees on a decrypted GET/HEAD). */
export function stripEnvelope(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (!metadata) return metadata;
  const out: Record<string, string> = Object.create(null); // caller keys such as `__proto__` stay data
  for (const [k, v] of Object.entries(metadata)) if (!K.ALL_ENVELOPE_KEYS.has(k)) out[k] = v;
  return out;
}
