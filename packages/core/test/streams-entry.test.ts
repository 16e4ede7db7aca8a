/**
 * `@strongroom/core/streams` as built (dist/web-streams.mjs): encryptStream / decryptStream as
 * functions. Round trips at frame boundaries, messages that open with both clients (web and Node)
 * and the other way, options refused at once (including the client's own, which these functions do
 * not have), context and required-key checks, a tampered frame, abort and cancel, and the provider's
 * data key wiped once the message's key is derived.
 */
import { describe, expect, it } from 'vitest';
import * as node from '../src/index';
import { endlessUntilAborted, random, readAll, streamOf, streams, web } from './web-entry';

const FRAME = 64;
const key = random(32);
const keyProvider = streams.RawAesKeyProvider({ namespace: 'app', name: 'k1', key });
const typed = (code: string) => (e: unknown) => streams.StrongroomError.isInstance(e, code as never);

async function rejectsTyped(run: () => Promise<unknown>, code: string): Promise<void> {
  await expect(run()).rejects.toSatisfy(typed(code));
}

/** Encrypt `plaintext` through encryptStream (fed in pieces of 37 bytes). */
async function seal(plaintext: Uint8Array, options: Partial<Parameters<typeof streams.encryptStream>[0]> = {}): Promise<Uint8Array> {
  return readAll(streamOf(plaintext, 37).pipeThrough(streams.encryptStream({ keyProvider, frameLength: FRAME, ...options })));
}

async function open(message: Uint8Array, options: Partial<Parameters<typeof streams.decryptStream>[0]> = {}): Promise<Uint8Array> {
  return readAll(streamOf(message, 41).pipeThrough(streams.decryptStream({ keyProvider, ...options })));
}

describe('@strongroom/core/streams', () => {
  for (const suite of [0x0478, 0x0578]) {
    it(`${suite.toString(16)}: round trips of 0, 1 and frame-boundary sizes; header and context resolve`, async () => {
      for (const n of [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME, 3 * FRAME + 10]) {
        const plaintext = random(n);
        const encrypting = streams.encryptStream({ keyProvider, frameLength: FRAME, suite, encryptionContext: { tenant: 'acme' } });
        const message = await readAll(streamOf(plaintext, 37).pipeThrough(encrypting));
        expect((await encrypting.header).suite.id).toBe(suite);
        const decrypting = streams.decryptStream({ keyProvider, expectedEncryptionContext: { tenant: 'acme' } });
        expect(await readAll(streamOf(message, 41).pipeThrough(decrypting))).toEqual(plaintext);
        const opened = await decrypting.header;
        expect(opened.encryptionContext.tenant).toBe('acme');
        expect(opened.header.frameLength).toBe(FRAME);
      }
    });
  }

  it('writes the same format as createClient: its messages open with both clients, and theirs with it', async () => {
    const plaintext = random(5 * FRAME + 3);
    const message = await seal(plaintext, { encryptionContext: { purpose: 'interop' } });
    const webClient = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'app', name: 'k1', key }) });
    const nodeClient = node.createClient({ keyProvider: node.RawAesKeyProvider({ namespace: 'app', name: 'k1', key }) });
    expect((await webClient.decrypt(message, { expectedEncryptionContext: { purpose: 'interop' } })).plaintext).toEqual(plaintext);
    expect(new Uint8Array((await nodeClient.decrypt(message)).plaintext)).toEqual(plaintext);
    expect(await open((await webClient.encrypt(plaintext)).ciphertext)).toEqual(plaintext);
    expect(await open(new Uint8Array((await nodeClient.encrypt(plaintext, { encryptionContext: { a: 'b' } })).ciphertext))).toEqual(plaintext);
  });

  it('refuses bad options at once, naming what to do; the client-only options point at createClient', () => {
    const refused = (run: () => unknown, code: string, message: RegExp) => {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(streams.StrongroomError.isInstance(error, code as never)).toBe(true);
      expect((error as Error).message).toMatch(message);
    };
    refused(() => streams.encryptStream(undefined as never), 'INVALID_ARGUMENT', /encryptStream: options are required/);
    refused(() => streams.decryptStream({} as never), 'INVALID_ARGUMENT', /decryptStream: give keyProvider or a non-empty keyProviders/);
    refused(() => streams.encryptStream({ keyProvider, keyProviders: [keyProvider] }), 'INVALID_ARGUMENT', /not both/);
    refused(() => streams.encryptStream({ keyProvider: { providerId: 'x' } as never }), 'INVALID_ARGUMENT', /KeyProvider interface/);
    refused(() => streams.encryptStream({ keyProvider, frameLength: -1 }), 'INVALID_ARGUMENT', /frameLength: expected an integer/);
    refused(() => streams.decryptStream({ keyProvider, maxFrameLength: 0.5 }), 'INVALID_ARGUMENT', /maxFrameLength/);
    refused(() => streams.encryptStream({ keyProvider, suite: 0x0178 }), 'COMMITMENT_POLICY', /committing suite/);
    refused(() => streams.encryptStream({ keyProvider, commitmentPolicy: 'SOMETIMES' as never }), 'INVALID_ARGUMENT', /commitmentPolicy/);
    for (const name of ['cache', 'cachePartition', 'parallelism', 'pool']) {
      refused(() => streams.encryptStream({ keyProvider, [name]: name === 'cachePartition' ? 'p' : 2 } as never), 'INVALID_ARGUMENT', new RegExp(`${name} is an option of createClient`));
      refused(() => streams.decryptStream({ keyProvider, [name]: {} } as never), 'INVALID_ARGUMENT', new RegExp(`decryptStream: ${name}`));
    }
  });

  it('non-framed (frameLength 0) cannot be streamed: the stream fails with INVALID_ARGUMENT', async () => {
    await rejectsTyped(() => seal(random(10), { frameLength: 0 }), 'INVALID_ARGUMENT');
  });

  it('checks the context: an unexpected value releases nothing; required pairs must be reproduced', async () => {
    const message = await seal(random(2 * FRAME), { encryptionContext: { tenant: 'acme' } });
    const released: Uint8Array[] = [];
    const reading = streamOf(message, 41).pipeThrough(streams.decryptStream({ keyProvider, expectedEncryptionContext: { tenant: 'evil' } }));
    await expect(reading.pipeTo(new WritableStream({ write: (c) => void released.push(c) }))).rejects.toSatisfy(typed('ENCRYPTION_CONTEXT'));
    expect(released).toEqual([]);

    const plaintext = random(FRAME + 1);
    const bound = await seal(plaintext, { encryptionContext: { tenant: 'acme', user: 'u1' }, requiredEncryptionContextKeys: ['user'] });
    await rejectsTyped(() => open(bound, { requiredEncryptionContextKeys: ['user'] }), 'ENCRYPTION_CONTEXT');
    await rejectsTyped(() => open(bound, { encryptionContext: { user: 'u2' } }), 'NO_DECRYPTION_KEY'); // the key was wrapped under u1
    expect(await open(bound, { encryptionContext: { user: 'u1' } })).toEqual(plaintext);
    await rejectsTyped(() => seal(plaintext, { encryptionContext: { tenant: 'acme' }, requiredEncryptionContextKeys: ['user'] }), 'ENCRYPTION_CONTEXT');
  });

  it('a tampered frame: the frames before it are released, nothing of it or after it', async () => {
    const plaintext = random(4 * FRAME);
    const message = await seal(plaintext);
    const headerLength = web.parseHeader(message, { maxEncryptedDataKeys: 10 })!.length;
    const copy = new Uint8Array(message);
    copy[headerLength + (16 + FRAME + 16) + 16 + 3]! ^= 0x40; // a byte of the second frame's ciphertext
    const released: Uint8Array[] = [];
    const reading = streamOf(copy, 50).pipeThrough(streams.decryptStream({ keyProvider }));
    await expect(reading.pipeTo(new WritableStream({ write: (c) => void released.push(c) }))).rejects.toSatisfy(typed('AUTHENTICATION_FAILED'));
    const out = new Uint8Array(Buffer.concat(released));
    expect(out.length).toBeLessThanOrEqual(FRAME);
    expect(out).toEqual(plaintext.subarray(0, out.length));
  });

  it('unsignedOnly refuses a signed message before any key is unwrapped', async () => {
    let unwraps = 0;
    const counting = { ...keyProvider, decryptDataKey: (r: Parameters<typeof keyProvider.decryptDataKey>[0]) => (unwraps++, keyProvider.decryptDataKey(r)) };
    const message = await seal(random(10), { suite: 0x0578 });
    await rejectsTyped(() => open(message, { keyProvider: counting, unsignedOnly: true }), 'UNSUPPORTED');
    expect(unwraps).toBe(0);
  });

  it('an abort or a cancel fails the stream (and a header not yet known) with ABORTED', async () => {
    const controller = new AbortController();
    const endless = endlessUntilAborted(controller);
    const encrypting = streams.encryptStream({ keyProvider, abortSignal: controller.signal });
    await rejectsTyped(() => readAll(endless.pipeThrough(encrypting)), 'ABORTED');
    const early = new AbortController();
    early.abort();
    const never = streams.encryptStream({ keyProvider, abortSignal: early.signal });
    await rejectsTyped(() => never.header, 'ABORTED');

    const decrypting = streams.decryptStream({ keyProvider });
    const writer = decrypting.writable.getWriter();
    void writer.write((await seal(random(10))).subarray(0, 20)).catch(() => undefined);
    await decrypting.readable.cancel(new Error('reader gone'));
    await rejectsTyped(() => decrypting.header, 'ABORTED');
  });

  it("wipes the provider's data key once the message key is derived", async () => {
    const handed: Uint8Array[] = [];
    const keeping = {
      ...keyProvider,
      generateDataKey: async (r: Parameters<typeof keyProvider.generateDataKey>[0]) => {
        const generated = await keyProvider.generateDataKey(r);
        handed.push(generated.plaintextKey);
        return generated;
      },
    };
    const plaintext = random(FRAME * 2);
    const encrypting = streams.encryptStream({ keyProvider: keeping, frameLength: FRAME });
    const message = await readAll(streamOf(plaintext, 37).pipeThrough(encrypting));
    expect(handed).toHaveLength(1);
    expect(handed[0]!.every((b) => b === 0)).toBe(true);
    expect(await open(message)).toEqual(plaintext);
  });
});
