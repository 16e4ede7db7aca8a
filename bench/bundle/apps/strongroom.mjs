// A minimal browser app: a raw AES key, a file streamed through encryptStream and back through
// decryptStream (Web Streams in, Web Streams out on the web entry).
import { createClient, RawAesKeyProvider } from '@strongroom/core';

export function roundTrip(keyBytes, file) {
  const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'app', name: 'key-1', key: keyBytes }) });
  const encrypted = client.encryptStream(file.stream(), { encryptionContext: { purpose: 'bundle-bench' } });
  return client.decryptStream(encrypted);
}
