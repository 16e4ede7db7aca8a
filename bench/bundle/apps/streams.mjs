// The same minimal app with the stream functions of @strongroom/core/streams: no client, so none of
// what a client adds (data-key cache, worker pool, whole-buffer encrypt/decrypt) is bundled.
import { decryptStream, encryptStream, RawAesKeyProvider } from '@strongroom/core/streams';

export function roundTrip(keyBytes, file) {
  const keyProvider = RawAesKeyProvider({ namespace: 'app', name: 'key-1', key: keyBytes });
  const encrypted = file.stream().pipeThrough(encryptStream({ keyProvider, encryptionContext: { purpose: 'bundle-bench' } }));
  return encrypted.pipeThrough(decryptStream({ keyProvider }));
}
