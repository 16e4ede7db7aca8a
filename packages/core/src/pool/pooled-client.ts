/**
 * The operations of a client created with `parallelism` or `pool` (Node entry): encrypt, decrypt and
 * their streams with the frames on a worker pool, the one-time ECDSA key of a signed message
 * generated on the pool and, for in-memory encryption, the message signed there too (ECDSA over the
 * whole message, AWS Encryption SDK data-format/message-footer.md). A message of at most one frame
 * (or under one batch, for decryption) stays on the calling thread and pays no round trip, unless
 * it is signed: one signature costs far more than a round trip.
 */
import type { KeyObject } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { CryptoBackend, SigningKeyPair } from '../backend';
import { concatBytes } from '../bytes';
import type { ClientCore, DecryptOptions, DecryptResult, EncryptOptions, EncryptResult } from '../client-core';
import { throwIfAborted } from '../errors';
import { footer } from '../frame-writer';
import { MessageEncoder } from '../encoder';
import { chunksOf, inMemory, knownLength, type WebInput } from '../input';
import { signingKeyPair } from '../node-backend';
import { DecryptTransform, encoderDriver, EncryptTransform, type EncoderDriver } from '../node-transforms';
import type { SignatureCurve } from '../suites';
import { BATCH_TARGET } from './frame-batch';
import { PooledDecoder } from './pooled-decoder';
import { PooledEncoder } from './pooled-encoder';
import type { KeygenDone, NodeTask, SignDone } from './node-protocol';
import type { PoolRunner } from './pool-core';

type Input = WebInput | AsyncIterable<Uint8Array>;

/** The one-thread operations a pooled client falls back to for small messages. */
export interface OneThread {
  encrypt(plaintext: Input, options?: EncryptOptions): Promise<EncryptResult>;
  decrypt(ciphertext: Input, options?: DecryptOptions): Promise<DecryptResult>;
}

export interface PooledOperations {
  encrypt(plaintext: Input, options?: EncryptOptions): Promise<EncryptResult>;
  decrypt(ciphertext: Input, options?: DecryptOptions): Promise<DecryptResult>;
  encryptTransform(options: EncryptOptions, length: number | undefined): Duplex;
  decryptTransform(options: DecryptOptions): Duplex;
}

/** A signing key pair generated on the pool (the private key comes back as a node:crypto KeyObject). */
export async function poolSigningKey(runner: PoolRunner, curve: SignatureCurve): Promise<SigningKeyPair> {
  const reply = await runner.run<KeygenDone>({ op: 'keygen', curve } satisfies NodeTask, []);
  return signingKeyPair(reply.privateKey, reply.publicKey, curve);
}

export function pooledOperations(core: ClientCore, backend: CryptoBackend, runner: PoolRunner, oneThread: OneThread): PooledOperations {
  const { frameLength, maxEncryptedDataKeys, maxFrameLength } = core;
  const signed = core.suite.signature !== undefined;

  /** Feed an in-memory or iterable input to `update`, checking the abort signal between chunks. */
  async function feed(plaintext: Input, options: EncryptOptions, update: (chunk: Uint8Array) => unknown): Promise<void> {
    const whole = inMemory(plaintext);
    if (whole) return void (await update(whole));
    for await (const c of chunksOf(plaintext)) {
      throwIfAborted(options.abortSignal);
      await update(c);
    }
  }

  async function encrypt(plaintext: Input, options: EncryptOptions = {}): Promise<EncryptResult> {
    const length = knownLength(plaintext);
    const small = frameLength === 0 || (length !== undefined && length <= frameLength);
    if (!signed && small) return oneThread.encrypt(plaintext, options);
    const out: Uint8Array[] = [];
    // The encoder derives the content key at once: the data key is wiped before any frame is sealed.
    const { encoder, signingKey } = await core.withMaterials(options, length, false, (materials) => {
      // Signed later, in one piece (on the pool), not while streaming: no signer in the encoder.
      const unsigned = { ...materials, backend, frameLength, signingKey: undefined };
      const emit = (bytes: Uint8Array) => void out.push(bytes);
      const driver: EncoderDriver = small ? encoderDriver(new MessageEncoder(unsigned), emit) : new PooledEncoder({ ...unsigned, runner, emit });
      return { encoder: driver, signingKey: materials.signingKey };
    });
    try {
      encoder.start();
      await feed(plaintext, options, (c) => encoder.update(c));
      await encoder.final();
    } catch (e) {
      encoder.destroy();
      throw e;
    }
    const { header } = encoder;
    if (!signingKey) return { ciphertext: concatBytes(out), header };
    // The whole message goes to a worker (moved, not copied) and comes back with its signature.
    const message = out.length === 1 ? new Uint8Array(out[0]!) : concatBytes(out);
    const hash = core.suite.signatureHash!;
    const data = message.buffer as ArrayBuffer;
    const reply = await runner.run<SignDone>({ op: 'sign', hash, key: signingKey.privateKey as KeyObject, data } satisfies NodeTask, [data]);
    return { ciphertext: concatBytes([new Uint8Array(reply.data), footer(reply.signature)]), header };
  }

  async function decrypt(ciphertext: Input, options: DecryptOptions = {}): Promise<DecryptResult> {
    const whole = inMemory(ciphertext);
    if (whole && whole.length <= BATCH_TARGET) return oneThread.decrypt(whole, options);
    const opening = core.opening(options);
    const out: Uint8Array[] = [];
    const decoder = new PooledDecoder({ backend, runner, maxEncryptedDataKeys, maxFrameLength: Number.POSITIVE_INFINITY, emit: (p) => out.push(p) });
    try {
      if (whole) decoder.write(whole);
      else for await (const c of chunksOf(ciphertext)) decoder.write(c);
      const parsed = decoder.readHeader();
      if (!parsed) await decoder.end(); // throws: truncated header
      const encryptionContext = await core.withDataKey(parsed!, opening, (dataKey, authenticatedOnly) => decoder.begin(dataKey, authenticatedOnly));
      await decoder.read();
      await decoder.end();
      return { plaintext: concatBytes(out), header: parsed!.header, encryptionContext };
    } catch (e) {
      decoder.destroy();
      for (const o of out) o.fill(0);
      throw e;
    }
  }

  function encryptTransform(options: EncryptOptions, length: number | undefined): Duplex {
    return new EncryptTransform((emit) =>
      core.withMaterials(options, length, true, (materials) => new PooledEncoder({ ...materials, backend, frameLength, runner, emit })),
    );
  }

  function decryptTransform(options: DecryptOptions): Duplex {
    const opening = core.opening(options);
    return new DecryptTransform(
      (emit) => new PooledDecoder({ backend, runner, maxEncryptedDataKeys, maxFrameLength, emit }),
      (decoder, parsed) => core.withDataKey(parsed, opening, (dataKey, authenticatedOnly) => decoder.begin(dataKey, authenticatedOnly)),
    );
  }

  return { encrypt, decrypt, encryptTransform, decryptTransform };
}
