/**
 * Per-message key derivation and key commitment.
 * spec: framework/transitive-requirements.md and framework/algorithm-suites.md#key-derivation:
 *  - identity suites use the data key directly;
 *  - v1 HKDF suites: HKDF(suite hash, IKM = data key, salt = none, info = u16 suite id ‖ message id);
 *  - committing suites: PRK = HKDF-Extract-SHA512(salt = message id, IKM = data key),
 *    commitment = Expand(PRK, "COMMITKEY", 32), content key = Expand(PRK, u16 suite id ‖ "DERIVEKEY", 32).
 */
import type { AsyncCryptoBackend } from './async-backend';
import type { CryptoBackend } from './backend';
import { copyBytes, utf8 } from './bytes';
import { StrongroomError } from './errors';
import type { AlgorithmSuite } from './suites';

const COMMIT_LABEL = utf8('COMMITKEY');
const DERIVE_LABEL = utf8('DERIVEKEY');

function suiteIdBytes(suite: AlgorithmSuite): Uint8Array {
  return Uint8Array.of(suite.id >> 8, suite.id & 0xff);
}

/** The v2 pseudorandom key: HKDF-Extract-SHA512(salt = message id, IKM = data key). Caller wipes it. */
export function committingPrk(backend: CryptoBackend, dataKey: Uint8Array, messageId: Uint8Array): Uint8Array {
  return backend.hkdfExtract('sha512', dataKey, messageId);
}

/** v2 key commitment from the pseudorandom key. */
export function commitmentKey(backend: CryptoBackend, prk: Uint8Array): Uint8Array {
  return backend.hkdfExpand('sha512', prk, COMMIT_LABEL, 32);
}

/**
 * Derive the content key (always a fresh buffer the caller owns and must wipe). For committing
 * suites pass the pseudorandom key from committingPrk (one extract serves commitment and content key).
 */
export function contentKey(backend: CryptoBackend, suite: AlgorithmSuite, dataKey: Uint8Array, messageId: Uint8Array, prk?: Uint8Array): Uint8Array {
  checkDataKey(suite, dataKey);
  if (suite.kdf === undefined) return copyBytes(dataKey);
  const info = contentKeyInfo(suite, messageId);
  if (suite.committing) {
    if (prk) return backend.hkdfExpand('sha512', prk, info, suite.keyLength);
    return backend.hkdf('sha512', dataKey, messageId, info, suite.keyLength);
  }
  return backend.hkdf(suite.kdf, dataKey, undefined, info, suite.keyLength);
}

function checkDataKey(suite: AlgorithmSuite, dataKey: Uint8Array): void {
  if (dataKey.length !== suite.keyLength) {
    throw new StrongroomError('PROVIDER_ERROR', `The data key is ${dataKey.length} bytes; suite ${suite.name} needs ${suite.keyLength}`);
  }
}

/** HKDF info of the content key: u16 suite id ‖ "DERIVEKEY" (committing) or u16 suite id ‖ message id (v1). */
function contentKeyInfo(suite: AlgorithmSuite, messageId: Uint8Array): Uint8Array {
  const tail = suite.committing ? DERIVE_LABEL : messageId;
  const info = new Uint8Array(2 + tail.length);
  info.set(suiteIdBytes(suite));
  info.set(tail, 2);
  return info;
}

/**
 * The same derivation over the async seam: the key commitment (committing suites) and the content
 * key (a fresh buffer the caller wipes), from one HKDF-Extract.
 */
export async function messageKeysAsync(
  backend: AsyncCryptoBackend,
  suite: AlgorithmSuite,
  dataKey: Uint8Array,
  messageId: Uint8Array,
): Promise<{ commitment: Uint8Array | undefined; key: Uint8Array }> {
  checkDataKey(suite, dataKey);
  if (suite.kdf === undefined) return { commitment: undefined, key: copyBytes(dataKey) };
  const hash = suite.committing ? 'sha512' : suite.kdf;
  const prk = await backend.hkdfExtract(hash, dataKey, suite.committing ? messageId : undefined);
  try {
    const commitment = suite.committing ? await backend.hkdfExpand(hash, prk, COMMIT_LABEL, 32) : undefined;
    return { commitment, key: await backend.hkdfExpand(hash, prk, contentKeyInfo(suite, messageId), suite.keyLength) };
  } finally {
    prk.fill(0);
  }
}
