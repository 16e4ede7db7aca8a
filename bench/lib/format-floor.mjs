// The message format's floor on node:crypto, for a 1 KiB message of suite 0x0478 (AES-256-GCM, HKDF-SHA512,
// key commitment) whose data key is already known (a cached data key): only the node:crypto calls such a
// message cannot do without, each in its cheapest form, and nothing else.
//
//   - the message id: 32 random bytes, taken from an 8 KiB pool filled by one randomFillSync;
//   - HKDF (RFC 5869) as the format requires it: Extract keyed by the message id, then two one-block
//     Expands (the key commitment and the content key): three HMAC-SHA512, one update each;
//   - the header's authentication tag: AES-GCM over the header bytes as AAD (180 bytes, about what a
//     header with one raw AES key and a one-entry context weighs), no plaintext;
//   - the one frame: AES-GCM of 1 KiB with its 78-byte AAD.
//
// No header bytes are built, no context serialized or checked, no cache consulted, nothing wiped. No
// implementation of the format on node:crypto does less per message, so a peer's rate (or its
// instructions) over the floor's bounds the ratio any of them could reach against that peer.
import * as crypto from 'node:crypto';

const ZERO_IV = Buffer.alloc(12);
const FRAME_IV = Buffer.from('000000000000000000000001', 'hex');
const COMMIT_INFO = Buffer.from('COMMITKEY\x01'); // HKDF-Expand info ‖ the block counter 1
const DERIVE_INFO = Buffer.concat([Buffer.of(0x04, 0x78), Buffer.from('DERIVEKEY\x01')]);

/** `encrypt()` seals one 1 KiB message's worth of crypto; `decrypt()` opens one (the same message each time). */
export function formatFloor() {
  const dataKey = crypto.randomBytes(32);
  const kib = crypto.randomBytes(1024);
  const header = crypto.randomBytes(180);
  const frameAad = crypto.randomBytes(32 + 34 + 4 + 8); // message id, body AAD string, sequence, length
  const pool = Buffer.alloc(8192);
  let offset = pool.length;
  const nextMessageId = () => {
    if (offset + 32 > pool.length) {
      crypto.randomFillSync(pool);
      offset = 0;
    }
    return pool.subarray(offset, (offset += 32));
  };
  const contentKey = (messageId) => {
    const prk = crypto.createHmac('sha512', messageId).update(dataKey).digest();
    crypto.createHmac('sha512', prk).update(COMMIT_INFO).digest(); // the commitment: computed, compared by decrypt
    return crypto.createHmac('sha512', prk).update(DERIVE_INFO).digest().subarray(0, 32);
  };
  const seal = (key, iv, aad, plaintext) => {
    const c = crypto.createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    const out = plaintext ? c.update(plaintext) : undefined;
    c.final();
    return { out, tag: c.getAuthTag() };
  };
  const open = (key, iv, aad, ciphertext, tag) => {
    const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    const out = ciphertext ? d.update(ciphertext) : undefined;
    d.final(); // throws if the tag does not match: it always does here
    return out;
  };

  // The message decrypt opens: one id, its header tag and its frame.
  const messageId = Buffer.from(nextMessageId()); // a copy: the pool refills under encrypt()
  const key = contentKey(messageId);
  const headerTag = seal(key, ZERO_IV, header).tag;
  const frame = seal(key, FRAME_IV, frameAad, kib);

  return {
    encrypt() {
      const k = contentKey(nextMessageId());
      seal(k, ZERO_IV, header);
      return seal(k, FRAME_IV, frameAad, kib);
    },
    decrypt() {
      const k = contentKey(messageId);
      open(k, ZERO_IV, header, undefined, headerTag);
      return open(k, FRAME_IV, frameAad, frame.out, frame.tag);
    },
  };
}
