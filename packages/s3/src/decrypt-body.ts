/**
 * Decrypting a GetObject body.
 * spec: s3-encryption/client.md (Enable Delayed Authentication, Set Buffer Size),
 * decryption.md (no unauthenticated plaintext released by default).
 *
 * The GCM tag is the last 16 bytes of the object, so the decipher runs one step behind the
 * network: each chunk is decrypted except for the trailing 16 bytes seen so far.
 * - buffered (default): plaintext is held (never the ciphertext too) up to `bufferSize`, the tag is
 *   verified, and only then is anything released;
 * - delayed authentication (opt-in): plaintext flows out as it is decrypted and the stream errors at
 *   the end if the tag does not verify — the consumer has seen unauthenticated plaintext by then.
 */
import { StrongroomError } from '@strongroom/core';
import { createContentDecipher, TAG_LENGTH, type ContentParams } from './content-crypto';
import { destroyBody } from './body';
import { legacyDecryptFailed } from './legacy-v1';
import { createDecipheriv, type Decipher, type DecipherGCM } from 'node:crypto';
import type { PumpSteps } from './body-pump';

function authFailed(cause?: unknown): StrongroomError {
  return new StrongroomError('AUTHENTICATION_FAILED', 'S3EC object failed authentication (GCM tag mismatch)', cause ? { cause } : {});
}

/**
 * A GCM decipher awaiting its tag (GCM allows setAuthTag any time before final()). Created eagerly
 * so the caller can wipe the key bytes right away: OpenSSL holds its own copy.
 */
export function createGcmDecipherNoTag(p: ContentParams): DecipherGCM {
  const d = createDecipheriv('aes-256-gcm', p.key, p.iv, { authTagLength: TAG_LENGTH });
  if (p.aad) d.setAAD(p.aad);
  return d;
}

/**
 * Runs a tag-awaiting GCM decipher one step behind the input: every byte except the trailing 16 seen
 * so far is decrypted; `finish()` sets those 16 as the tag and verifies.
 */
function gcmTailDecryptor(d: DecipherGCM) {
  let tail = Buffer.alloc(0);
  return {
    /** Decrypt what can be decrypted of `raw`, appending plaintext to `out`. */
    feed(raw: Uint8Array, out: Buffer[]): void {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (chunk.length >= TAG_LENGTH) {
        if (tail.length) {
          const o = d.update(tail);
          if (o.length) out.push(o);
        }
        const body = chunk.subarray(0, chunk.length - TAG_LENGTH);
        tail = Buffer.from(chunk.subarray(chunk.length - TAG_LENGTH));
        if (body.length) out.push(d.update(body));
      } else {
        const joined = Buffer.concat([tail, chunk]);
        const cut = Math.max(0, joined.length - TAG_LENGTH);
        tail = joined.subarray(cut);
        if (cut) out.push(d.update(joined.subarray(0, cut)));
      }
    },
    /** @throws StrongroomError MALFORMED (shorter than a tag) or AUTHENTICATION_FAILED. */
    finish(): void {
      if (tail.length !== TAG_LENGTH) throw new StrongroomError('MALFORMED', 'S3EC object is shorter than its 16-byte tag');
      d.setAuthTag(tail);
      try {
        d.final();
      } catch (error) {
        throw authFailed(error);
      }
    },
  };
}

/**
 * Like `gcmTailDecryptor`, but for a body of known length (Content-Length): the tag's position is
 * known, so each chunk is decrypted with one `update` and nothing is held back or split.
 */
function gcmLengthDecryptor(d: DecipherGCM, ciphertextLength: number) {
  const tagAt = ciphertextLength - TAG_LENGTH;
  const tag = Buffer.alloc(TAG_LENGTH);
  let seen = 0;
  let tagFilled = 0;
  return {
    feed(raw: Uint8Array, out: Buffer[]): void {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const bodyBytes = Math.min(chunk.length, Math.max(0, tagAt - seen));
      if (bodyBytes > 0) out.push(d.update(bodyBytes === chunk.length ? chunk : chunk.subarray(0, bodyBytes)));
      const rest = chunk.length - bodyBytes;
      if (rest > 0) {
        if (tagFilled + rest > TAG_LENGTH) throw new StrongroomError('MALFORMED', 'object is longer than its Content-Length');
        chunk.copy(tag, tagFilled, bodyBytes);
        tagFilled += rest;
      }
      seen += chunk.length;
    },
    finish(): void {
      if (tagAt < 0 || tagFilled !== TAG_LENGTH) throw new StrongroomError('MALFORMED', 'S3EC object is shorter than its Content-Length or its 16-byte tag');
      d.setAuthTag(tag);
      try {
        d.final();
      } catch (error) {
        throw authFailed(error);
      }
    },
  };
}

/** The decryptor for a body: length-based when the ciphertext length is known. */
function gcmDecryptor(d: DecipherGCM, ciphertextLength: number | undefined) {
  return ciphertextLength === undefined ? gcmTailDecryptor(d) : gcmLengthDecryptor(d, ciphertextLength);
}

/**
 * Delayed-authentication decrypt as pump steps (./body-pump.ts): each response chunk is decrypted
 * with one `update` as it arrives, and the stream errors at its end when the tag does not verify.
 */
export function gcmDecryptSteps(d: DecipherGCM, ciphertextLength?: number): PumpSteps {
  const dec = gcmDecryptor(d, ciphertextLength);
  return {
    write(chunk) {
      const out: Buffer[] = [];
      dec.feed(chunk, out);
      return out;
    },
    end() {
      dec.finish();
      return [];
    },
  };
}

/**
 * Buffered (authenticated) decrypt: read everything, verify, then return the plaintext.
 * One loop over the source (no generator hop per chunk): this is the default read path. When the
 * size is known the plaintext is gathered into one buffer, so releasing it later costs nothing.
 * @throws StrongroomError LIMIT_EXCEEDED when the plaintext exceeds `bufferSize`,
 *   AUTHENTICATION_FAILED on a bad tag. Nothing is released on failure; held plaintext is wiped.
 */
export async function decryptGcmBuffered(
  source: AsyncIterable<Uint8Array>,
  d: DecipherGCM,
  bufferSize: number,
  expectedPlaintextLength?: number,
): Promise<Buffer[]> {
  const dec = gcmDecryptor(d, expectedPlaintextLength === undefined ? undefined : expectedPlaintextLength + TAG_LENGTH);
  const held: Buffer[] = [];
  const whole =
    expectedPlaintextLength !== undefined && expectedPlaintextLength <= bufferSize ? Buffer.allocUnsafe(expectedPlaintextLength) : undefined;
  let filled = 0;
  let total = 0;
  try {
    for await (const raw of source) {
      // Held plaintext + the 16 held-back bytes never exceed what arrived.
      total += raw.length;
      if (total > bufferSize + TAG_LENGTH) throw tooLarge(bufferSize);
      dec.feed(raw, held);
      if (whole) {
        for (const o of held) {
          if (filled + o.length > whole.length) throw new StrongroomError('MALFORMED', 'object is longer than its Content-Length');
          o.copy(whole, filled);
          filled += o.length;
          o.fill(0);
        }
        held.length = 0;
      }
    }
    dec.finish();
    if (whole) {
      if (filled !== whole.length) throw new StrongroomError('MALFORMED', 'object is shorter than its Content-Length');
      // Hand out 1 MiB views of the one buffer (cheap to stream, no copies).
      const views: Buffer[] = [];
      for (let off = 0; off < whole.length; off += 1 << 20) views.push(whole.subarray(off, Math.min(whole.length, off + (1 << 20))));
      return views;
    }
    return held;
  } catch (error) {
    for (const c of held) c.fill(0);
    whole?.fill(0);
    destroyBody(source);
    throw error;
  }
}

export function tooLarge(bufferSize: number): StrongroomError {
  return new StrongroomError(
    'LIMIT_EXCEEDED',
    `The object exceeds bufferSize (${bufferSize} bytes), the most plaintext held back until the GCM tag is verified. ` +
      'Raise bufferSize, or set delayedAuthentication: true to stream unauthenticated plaintext (the stream errors at the end if the tag fails).',
    { details: { bufferSize } },
  );
}

/**
 * Legacy CBC decrypt (unauthenticated; only behind legacy.unauthenticatedModes). Nothing authenticates
 * CBC: a wrong key (or the pseudo-random key of an RSA implicit rejection) still ends in a valid
 * PKCS#7 padding about once in 256 tries. When the object claims its plaintext length
 * (`x-amz-unencrypted-content-length`, which the Ruby client writes), a decryption of
 * any other length fails the same way as a bad padding, which leaves such a false success at about
 * 2^-8 per padding byte the claimed length implies (2^-88 for a 37-byte object); without the claim
 * only the padding is checked.
 */
export async function* decryptCbcStream(source: AsyncIterable<Uint8Array>, d: Decipher, claimedLength?: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    const out = d.update(chunk);
    total += out.length;
    if (out.length) yield out;
  }
  let last: Buffer;
  try {
    last = d.final();
  } catch {
    // The same error as a wrong key: no padding oracle (./legacy-v1.ts).
    throw legacyDecryptFailed();
  }
  if (claimedLength !== undefined && total + last.length !== claimedLength) {
    last.fill(0);
    throw legacyDecryptFailed();
  }
  if (last.length) yield last;
}

/** Decrypt a whole in-memory GCM ciphertext (small objects, instruction-free paths). */
export function decryptGcmBytes(ciphertext: Uint8Array, p: ContentParams): Buffer {
  if (ciphertext.length < TAG_LENGTH) throw new StrongroomError('MALFORMED', 'S3EC object is shorter than its 16-byte tag');
  const ct = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  const d = createContentDecipher(p, ct.subarray(ct.length - TAG_LENGTH));
  const out = d.update(ct.subarray(0, ct.length - TAG_LENGTH));
  try {
    d.final();
  } catch (error) {
    out.fill(0);
    throw authFailed(error);
  }
  return out;
}
