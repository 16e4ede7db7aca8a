/**
 * The Node stream transforms of encryptStream()/decryptStream() (Node streams:
 * https://nodejs.org/api/stream.html), one pair for the one-thread client and the pooled one: a
 * 'header' event once the header is known (decryption: once it authenticated, with the encryption
 * context), and plaintext released frame by frame after authentication. They drive an encoder or
 * decoder through the small interfaces below: the one-thread ./encoder.ts and ./decoder.ts answer at
 * once (their output is pushed and the callback called in the same turn, nothing awaited), the pooled
 * ones (./pool/pooled-encoder.ts, ./pool/pooled-decoder.ts) emit as batches come back and resolve
 * when their stream may take more, so the writer is held back and memory stays bounded.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { coalesce } from './bytes';
import type { MessageDecoder } from './decoder';
import type { MessageEncoder } from './encoder';
import type { MessageHeader, ParsedHeader } from './header';
import type { EncryptionContext } from './key-provider';

/** An encoder whose output goes to an `emit` callback given when it was made. */
export interface EncoderDriver {
  readonly header: MessageHeader;
  start(): void;
  update(chunk: Uint8Array): void | Promise<void>;
  final(): void | Promise<void>;
  destroy(): void;
}

/** A decoder whose released plaintext goes to an `emit` callback given when it was made. */
export interface DecoderDriver {
  write(chunk: Uint8Array): void;
  readHeader(): ParsedHeader | undefined;
  read(): void | Promise<void>;
  /** End of input: throws (or rejects) for a truncated message, releases the rest otherwise. */
  end(): void | Promise<void>;
  destroy(): void;
}

/** The one-thread encoder as a driver: its output pieces (small ones joined) go to `emit`. */
export function encoderDriver(encoder: MessageEncoder, emit: (bytes: Uint8Array) => void): EncoderDriver {
  return {
    header: encoder.header,
    start: () => coalesce(encoder.start(), emit),
    update: (chunk) => coalesce(encoder.update(chunk), emit),
    final: () => coalesce(encoder.final(), emit),
    destroy: () => encoder.destroy(),
  };
}

/** The one-thread decoder as a driver: released plaintext goes to `emit`. */
export function decoderDriver(decoder: MessageDecoder, emit: (bytes: Uint8Array) => void): DecoderDriver {
  return {
    write: (chunk) => decoder.write(chunk),
    readHeader: () => decoder.readHeader(),
    read: () => coalesce(decoder.read(), emit),
    end: () => coalesce(decoder.end(), emit),
    destroy: () => decoder.destroy(),
  };
}

/** Call `callback` once `work` is done: at once when it ran synchronously, else when it settles. */
function settle(work: () => void | Promise<void>, callback: TransformCallback): void {
  let pending: void | Promise<void>;
  try {
    pending = work();
  } catch (e) {
    return callback(e as Error);
  }
  if (!pending) return callback();
  pending.then(
    () => callback(),
    (e: unknown) => callback(e as Error),
  );
}

export class EncryptTransform extends Transform {
  private encoder: EncoderDriver | undefined;
  private starting: Promise<EncoderDriver> | undefined;

  /** `create` builds the encoder (materials, header) with `emit` as its output. */
  constructor(private readonly create: (emit: (bytes: Uint8Array) => void) => Promise<EncoderDriver>) {
    super();
  }

  private withEncoder(run: (encoder: EncoderDriver) => void | Promise<void>, callback: TransformCallback): void {
    if (this.encoder) return settle(() => run(this.encoder!), callback);
    this.starting ??= this.create((bytes) => void this.push(bytes)).then((encoder) => {
      this.encoder = encoder;
      this.emit('header', encoder.header);
      encoder.start();
      return encoder;
    });
    this.starting.then(
      (encoder) => settle(() => run(encoder), callback),
      (e: unknown) => callback(e as Error),
    );
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

export class DecryptTransform<D extends DecoderDriver = DecoderDriver> extends Transform {
  readonly decoder: D;
  private opened = false;
  private opening: Promise<void> | undefined;

  /** `create` builds the decoder with `emit` as its output; `open` unwraps the data key and calls its begin(). */
  constructor(
    create: (emit: (plaintext: Uint8Array) => void) => D,
    private readonly open: (decoder: D, parsed: ParsedHeader) => Promise<EncryptionContext>,
  ) {
    super();
    this.decoder = create((plaintext) => void this.push(plaintext));
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.write(chunk);
      if (this.opened) return settle(() => this.decoder.read(), callback);
      const parsed = this.decoder.readHeader();
      if (!parsed) return callback();
      this.opening ??= this.open(this.decoder, parsed).then((encryptionContext) => {
        this.opened = true;
        this.emit('header', parsed.header, encryptionContext);
      });
      this.opening.then(
        () => settle(() => this.decoder.read(), callback),
        (e: unknown) => callback(e as Error),
      );
    } catch (e) {
      callback(e as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // Before the header opened, end() fails with "truncated inside its header".
    settle(() => this.decoder.end(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.decoder.destroy();
    callback(error);
  }
}
