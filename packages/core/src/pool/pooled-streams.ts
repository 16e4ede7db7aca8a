/**
 * The Node stream transforms of a pooled client (Node streams: https://nodejs.org/api/stream.html):
 * the same contract as ../client.ts's one-thread transforms ('header' event, plaintext released
 * frame by frame after authentication), with the frames sealed/opened on the pool. A transform's
 * callback waits while its stream has the maximum number of batches in flight, so the writer is held
 * back and memory stays bounded.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { EncryptionContext } from '../key-provider';
import type { ParsedHeader } from '../header';
import type { PooledDecoder } from './pooled-decoder';
import type { PooledEncoder } from './pooled-encoder';

export class PooledEncryptTransform extends Transform {
  private encoder: PooledEncoder | undefined;
  private starting: Promise<PooledEncoder> | undefined;

  /** `create` builds the encoder with `emit` as its output. */
  constructor(private readonly create: (emit: (bytes: Uint8Array) => void) => Promise<PooledEncoder>) {
    super();
  }

  private withEncoder(run: (encoder: PooledEncoder) => Promise<void>, callback: TransformCallback): void {
    const go = (encoder: PooledEncoder) =>
      run(encoder).then(
        () => callback(),
        (e: unknown) => callback(e as Error),
      );
    if (this.encoder) return void go(this.encoder);
    this.starting ??= this.create((bytes) => void this.push(bytes)).then((encoder) => {
      this.encoder = encoder;
      this.emit('header', encoder.header);
      encoder.start();
      return encoder;
    });
    this.starting.then(go, (e: unknown) => callback(e as Error));
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.withEncoder((encoder) => encoder.update(chunk), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.withEncoder((encoder) => encoder.final(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.encoder?.destroy();
    callback(error);
  }
}

export class PooledDecryptTransform extends Transform {
  readonly decoder: PooledDecoder;
  private opened = false;
  private opening: Promise<void> | undefined;

  /** `create` builds the decoder with `emit` as its output; `open` unwraps the data key and calls begin(). */
  constructor(
    create: (emit: (plaintext: Uint8Array) => void) => PooledDecoder,
    private readonly open: (decoder: PooledDecoder, parsed: ParsedHeader) => Promise<EncryptionContext>,
  ) {
    super();
    this.decoder = create((plaintext) => void this.push(plaintext));
  }

  private settle(work: Promise<void>, callback: TransformCallback): void {
    work.then(
      () => callback(),
      (e: unknown) => callback(e as Error),
    );
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.write(chunk);
      if (this.opened) return this.settle(this.decoder.read(), callback);
      const parsed = this.decoder.readHeader();
      if (!parsed) return callback();
      this.opening ??= this.open(this.decoder, parsed).then((encryptionContext) => {
        this.opened = true;
        this.emit('header', parsed.header, encryptionContext);
      });
      this.settle(
        this.opening.then(() => this.decoder.read()),
        callback,
      );
    } catch (e) {
      callback(e as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // Before the header opened, end() fails with "truncated inside its header".
    this.settle(this.decoder.end(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.decoder.destroy();
    callback(error);
  }
}
