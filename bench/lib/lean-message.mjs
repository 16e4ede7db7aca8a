// The leanest complete message this team could write, as a ceiling for the 1 KiB cached encrypt: a
// whole suite-0x0478 message of one final frame (AES-256-GCM, HKDF-SHA512, key commitment), built
// straight on node:crypto with nothing a general client has: one suite, one frame, one provider,
// no streams, no options, no async step.
//
// Where ./format-floor.mjs does only the node:crypto calls a message cannot avoid, this adds the rest
// of what a cached-key encrypt must still do per message, each in its cheapest form:
//   - check the caller's context (string values, no reserved `aws-crypto-` key) and key a data-key
//     cache by it (sorted pairs as JSON, one Map lookup), check the entry's age and count the use;
//   - a copy of the cached data key for the message, wiped after;
//   - the header from a template serialized once per cache entry (version, suite, context, the
//     encrypted data key, content type, frame length): per message only the message id and the key
//     commitment are written into it;
//   - the header tag over those bytes, the final frame's prefix and AAD, one output buffer.
// The message layout is the AWS Encryption SDK's (data-format/message-header.md, message-body.md,
// message-body-aad.md in awslabs/aws-encryption-sdk-specification); `leanMessages` checks that
// Strongroom's own client opens what it writes before it is timed, so the ceiling is a real message.
import * as crypto from 'node:crypto';

const COMMIT_INFO = Buffer.from('COMMITKEY\x01'); // HKDF-Expand info ‖ block counter 1
const DERIVE_INFO = Buffer.concat([Buffer.of(0x04, 0x78), Buffer.from('DERIVEKEY\x01')]);
const ZERO_IV = Buffer.alloc(12);
const FRAME_IV = Buffer.from('000000000000000000000001', 'hex'); // frame 1
const FINAL_LABEL = Buffer.from('AWSKMSEncryptionClient Final Frame');

const u16 = (n) => Buffer.of(n >> 8, n & 0xff);
const prefixed = (b) => Buffer.concat([u16(b.length), b]);

/** The header body with zeros where the message id (offset 3) and the commitment (last 32 bytes) go. */
function headerTemplate(context, edk, frameLength) {
  const pairs = Object.entries(context)
    .map(([k, v]) => [Buffer.from(k), Buffer.from(v)])
    .sort((a, b) => Buffer.compare(a[0], b[0]));
  const aad = pairs.length ? Buffer.concat([u16(pairs.length), ...pairs.flatMap(([k, v]) => [prefixed(k), prefixed(v)])]) : Buffer.alloc(0);
  const frame = Buffer.alloc(4);
  frame.writeUInt32BE(frameLength);
  return Buffer.concat([
    Buffer.of(0x02, 0x04, 0x78), // version 2, suite 0x0478
    Buffer.alloc(32), // message id
    prefixed(aad),
    u16(1), // one encrypted data key
    prefixed(Buffer.from(edk.providerId)),
    prefixed(Buffer.from(edk.providerInfo)),
    prefixed(Buffer.from(edk.ciphertext)),
    Buffer.of(0x02), // framed
    frame,
    Buffer.alloc(32), // key commitment
  ]);
}

/**
 * `generated` is a data key from a key provider (`generateDataKey`): what a data-key cache holds after
 * its first miss. Returns `encrypt(plaintext, context)` for plaintexts of one frame (≤ frameLength).
 */
export function leanMessages(generated, frameLength = 65536) {
  const dataKey = Buffer.from(generated.plaintextKey);
  const cache = new Map();
  const idPool = Buffer.alloc(8192);
  let idOffset = idPool.length;
  const finalAad = Buffer.alloc(32 + FINAL_LABEL.length + 12);
  FINAL_LABEL.copy(finalAad, 32);
  finalAad.writeUInt32BE(1, 32 + FINAL_LABEL.length); // sequence number 1

  const entryFor = (context) => {
    const keys = Object.keys(context).sort();
    const flat = [];
    for (const k of keys) {
      const v = context[k];
      if (typeof v !== 'string' || k.startsWith('aws-crypto-')) throw new TypeError(`bad encryption context entry ${k}`);
      flat.push(k, v);
    }
    const cacheKey = JSON.stringify(flat);
    let entry = cache.get(cacheKey);
    if (entry === undefined) {
      entry = { createdAt: Date.now(), messages: 0, dataKey, template: headerTemplate(context, generated.encryptedDataKey, frameLength) };
      cache.set(cacheKey, entry);
    }
    if (Date.now() - entry.createdAt > 600_000 || entry.messages >= 2 ** 32) throw new Error('cache entry expired');
    entry.messages++;
    return entry;
  };

  return {
    encrypt(plaintext, context) {
      if (plaintext.length > frameLength) throw new RangeError('one frame only');
      const entry = entryFor(context);
      const key = Buffer.from(entry.dataKey);
      if (idOffset + 32 > idPool.length) {
        crypto.randomFillSync(idPool);
        idOffset = 0;
      }
      const messageId = idPool.subarray(idOffset, (idOffset += 32));
      const prk = crypto.createHmac('sha512', messageId).update(key).digest();
      key.fill(0);
      const commitment = crypto.createHmac('sha512', prk).update(COMMIT_INFO).digest();
      const derived = crypto.createHmac('sha512', prk).update(DERIVE_INFO).digest();
      const contentKey = derived.subarray(0, 32);
      prk.fill(0);

      const { template } = entry;
      const headerLength = template.length;
      const n = plaintext.length;
      const out = Buffer.allocUnsafeSlow(headerLength + 16 + 24 + n + 16);
      template.copy(out);
      messageId.copy(out, 3);
      commitment.copy(out, headerLength - 32, 0, 32);
      commitment.fill(0);
      let cipher = crypto.createCipheriv('aes-256-gcm', contentKey, ZERO_IV);
      cipher.setAAD(out.subarray(0, headerLength));
      cipher.final();
      cipher.getAuthTag().copy(out, headerLength);

      const at = headerLength + 16; // final frame: marker, sequence, IV, length, ciphertext, tag
      out.writeUInt32BE(0xffffffff, at);
      out.writeUInt32BE(1, at + 4);
      FRAME_IV.copy(out, at + 8);
      out.writeUInt32BE(n, at + 20);
      messageId.copy(finalAad, 0);
      finalAad.writeUInt32BE(0, finalAad.length - 8);
      finalAad.writeUInt32BE(n, finalAad.length - 4);
      cipher = crypto.createCipheriv('aes-256-gcm', contentKey, FRAME_IV);
      cipher.setAAD(finalAad);
      cipher.update(plaintext).copy(out, at + 24);
      cipher.final();
      cipher.getAuthTag().copy(out, at + 24 + n);
      derived.fill(0);
      return out;
    },
  };
}
