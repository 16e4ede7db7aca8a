// Wrap a key provider and keep every plaintext data key it hands out, so a fault run can check that
// each one was wiped (zeroed) once its message was done — on success and on failure paths.
// Shared by test/reliability/kms-faults.test.ts and bench/faults/run.mjs.

/** @param {import('@strongroom/core').KeyProvider} inner @param {Uint8Array[]} keys */
export function capturing(inner, keys) {
  return {
    providerId: inner.providerId,
    cacheId: inner.cacheId,
    keyWrap: inner.keyWrap,
    async generateDataKey(request) {
      const generated = await inner.generateDataKey(request);
      keys.push(generated.plaintextKey);
      return generated;
    },
    encryptDataKey: (request) => inner.encryptDataKey(request),
    async decryptDataKey(request) {
      const key = await inner.decryptDataKey(request);
      if (key) keys.push(key);
      return key;
    },
  };
}
