/**
 * A low-level client for one HSM node: one persistent mutual-TLS connection (TLS 1.3, RFC 8446),
 * pipelined requests with ids (wire/codec.ts), writes coalesced per event-loop turn. `call` is typed
 * by the operation table (ops.ts). The cluster client in @strongroom/provider-hsm builds load
 * balancing and failover on top of this.
 *
 * Every call has a deadline: its own `timeoutMs`, else the connection's `callTimeoutMs` (default 60 s).
 * A node that completed the handshake and then stopped answering (a hung or stopped process, a
 * silent partition: TCP itself never times out a quiet connection, RFC 9293 §3.8.3) fails the call
 * with PROVIDER_ERROR reason CONNECTION instead of hanging the caller.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { StrongroomError, type StrongroomErrorCode, throwIfAborted } from '@strongroom/core';
import type { HsmArgs, HsmOp, HsmResult } from './ops';
import { createFrameReader, encodeFrame, FRAME_ERROR, FRAME_REQUEST, type WireValue } from './wire/codec';

/**
 * Options of {@link connectHsmNode}: node URL, the cluster CA (trust anchor), client certificate, connect timeout, abort signal.
 */
export interface HsmNodeConnectOptions {
  /** `tls://HOST:PORT`: a host name, an IPv4 address or a bracketed IPv6 address. */
  url: string;
  /** The cluster CA (trust anchor) PEM. */
  trustAnchor: string;
  /** Client (or node) certificate and key issued by the cluster CA. */
  clientCert: { certPem: string; keyPem: string };
  /** Connect timeout, ms (default 3000). */
  connectTimeoutMs?: number;
  /** Deadline of each call that names none itself, ms (default 60 000). */
  callTimeoutMs?: number;
  /** Ends the connect (`ABORTED`); a signal already aborted is refused before dialing. Not kept after the connect. */
  abortSignal?: AbortSignal;
}

const DEFAULT_CALL_TIMEOUT_MS = 60_000;

function positiveMs(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new StrongroomError('INVALID_ARGUMENT', `${name}: must be a positive number of milliseconds, not ${String(v)}`);
  return v;
}

/** A connection to one HSM node: typed `call(op, args)` by the operation table. */
export interface HsmNodeConnection {
  readonly url: string;
  readonly closed: boolean;
  /** Send one operation of the table. @throws StrongroomError with the node's code and reason; PROVIDER_ERROR reason CONNECTION when the link drops. */
  call<Op extends HsmOp>(op: Op, args: HsmArgs<Op>, options?: HsmCallOptions): Promise<HsmResult<Op>>;
  /**
   * Send any operation name with any arguments, untyped: for tests, fuzzers and tools that must send
   * what the table does not allow. Production code uses `call`.
   */
  callUnchecked<T = WireValue>(op: string, args?: Record<string, WireValue | undefined>, options?: HsmCallOptions): Promise<T>;
  /** Requests sent and not yet answered. */
  inFlight(): number;
  /** Register a listener for the connection's close (with the error that closed it, if any). */
  onClose(listener: (error?: Error) => void): void;
  /** Close the connection; calls in flight reject. */
  close(): void;
}

/** Options of one call: abort signal and timeout. */
export interface HsmCallOptions {
  /** Ends the call (`ABORTED`); its listener is removed when the call ends, however it ends. */
  abortSignal?: AbortSignal | undefined;
  /** Fail the call (reason CONNECTION) when the node has not answered within this many ms (default: the connection's `callTimeoutMs`). */
  timeoutMs?: number | undefined;
}

/** A call waiting for its answer (see send()). */
interface PendingCall {
  resolve: (v: WireValue) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
}

// RFC 3986 host: a DNS name (RFC 1123 labels), a dotted IPv4 address, or an IPv6 address in brackets.
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^\[([0-9A-Fa-f:.]{2,45})\]$/;

/**
 * Split `tls://HOST:PORT`. `host` is what to dial: `localhost` maps to 127.0.0.1 (the nodes listen
 * on IPv4), an IPv6 address loses its brackets (as `net.connect` wants it). `name` is what the node
 * certificate must name (RFC 6125: the reference identity is the host as written, lower-cased).
 * @throws StrongroomError INVALID_ARGUMENT for anything else.
 */
export function parseNodeUrl(url: string): { host: string; port: number; name: string } {
  const bad = () => new StrongroomError('INVALID_ARGUMENT', `node url must be tls://HOST:PORT with a host name, an IPv4 address or [IPv6] address and a port 1-65535 (got ${String(url).slice(0, 300)})`);
  if (typeof url !== 'string') throw bad();
  const m = /^tls:\/\/(.+):(\d{1,5})$/.exec(url);
  if (!m) throw bad();
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw bad();
  const raw = m[1]!;
  const v6 = IPV6.exec(raw);
  if (v6) {
    if (isIP(v6[1]!) !== 6) throw bad();
    return { host: v6[1]!, port, name: v6[1]!.toLowerCase() };
  }
  if (isIP(raw) === 4) return { host: raw, port, name: raw };
  if (!HOST_NAME.test(raw) || /^[0-9.]+$/.test(raw)) throw bad();
  const name = raw.toLowerCase();
  return { host: name === 'localhost' ? '127.0.0.1' : raw, port, name };
}

/** A `PROVIDER_ERROR` StrongroomError naming the node URL, with reason `CONNECTION`. */
export function connectionError(url: string, message: string, cause?: unknown): StrongroomError {
  return new StrongroomError('PROVIDER_ERROR', `hsm node ${url}: ${message}`, { cause, details: { reason: 'CONNECTION', node: url } });
}

/**
 * Open a connection to one node.
 *
 * @example
 * const conn = await connectHsmNode({ url: 'tls://hsm-a.internal:2223', trustAnchor, clientCert });
 * await conn.call('login', { user: 'app', password });
 * const { iv, ciphertext, tag } = await conn.call('aes.gcmEncrypt', { handle, plaintext, aad });
 * @throws StrongroomError PROVIDER_ERROR (reason CONNECTION) if the node is unreachable or the TLS handshake fails.
 */
export function connectHsmNode(options: HsmNodeConnectOptions): Promise<HsmNodeConnection> {
  const { host, port, name } = parseNodeUrl(options.url);
  const url = options.url;
  let callTimeoutMs: number;
  let connectTimeoutMs: number;
  try {
    callTimeoutMs = positiveMs(options.callTimeoutMs, 'callTimeoutMs', DEFAULT_CALL_TIMEOUT_MS);
    connectTimeoutMs = positiveMs(options.connectTimeoutMs, 'connectTimeoutMs', 3000);
    // A signal aborted before the call never fires 'abort' again: refuse here, before dialing.
    throwIfAborted(options.abortSignal);
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    // The node certificate must name the host this URL dials (a DNS name or an IP address in its
    // subjectAltName, RFC 6125 §6): a certificate of the cluster issued to another node or host is refused.
    // SNI carries DNS names only (RFC 6066 §3), never address literals.
    const socket = tls.connect({
      host,
      port,
      ...(isIP(name) ? {} : { servername: name }),
      ca: options.trustAnchor,
      cert: options.clientCert.certPem,
      key: options.clientCert.keyPem,
      minVersion: 'TLSv1.3',
      checkServerIdentity: (_servername, cert) => {
        if (!String(cert.subject?.CN ?? '').startsWith('node:')) return new Error('peer is not an HSM node certificate');
        return tls.checkServerIdentity(name, cert);
      },
    });
    socket.setNoDelay(true);
    const pending = new Map<number, PendingCall>();
    const listeners: Array<(e?: Error) => void> = [];
    let nextId = 1;
    let closed = false;
    let ready = false;
    let queue: Buffer[] = [];
    let scheduled = false;
    const timer = setTimeout(() => fail(connectionError(url, 'connect timeout')), connectTimeoutMs);
    const onAbort = () => fail(new StrongroomError('ABORTED', 'connect aborted', { cause: options.abortSignal?.reason }));
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });

    function fail(e: Error): void {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const err = StrongroomError.isInstance(e) ? e : connectionError(url, e.message, e);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      if (!ready) reject(err);
      for (const l of listeners) l(err);
    }

    const reader = createFrameReader((frame) => {
      const p = pending.get(frame.id);
      if (!p) return;
      pending.delete(frame.id);
      if (frame.kind === FRAME_ERROR) {
        const v = frame.value as { code?: string; message?: string; reason?: string | null };
        p.reject(new StrongroomError((v.code ?? 'PROVIDER_ERROR') as StrongroomErrorCode, v.message ?? 'node error', { details: { reason: v.reason ?? undefined, node: url } }));
      } else p.resolve(frame.value);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        fail(e as Error);
      }
    });
    socket.on('error', (e) => fail(e));
    socket.on('close', () => fail(connectionError(url, 'connection closed')));
    socket.on('secureConnect', () => {
      clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
      ready = true;
      const conn: HsmNodeConnection = {
        url,
        get closed() {
          return closed;
        },
        inFlight: () => pending.size,
        onClose: (l) => listeners.push(l),
        close: () => fail(connectionError(url, 'connection closed by client')),
        call: <Op extends HsmOp>(op: Op, args: HsmArgs<Op>, o?: HsmCallOptions) => send<HsmResult<Op>>(op, args as WireValue, o),
        callUnchecked: <T>(op: string, args: Record<string, WireValue | undefined> = {}, o?: HsmCallOptions) => send<T>(op, args, o),
      };
      resolve(conn);
    });

    function send<T>(op: string, args: WireValue, o: HsmCallOptions = {}): Promise<T> {
      if (closed) return Promise.reject(connectionError(url, 'connection closed'));
      if (o.abortSignal?.aborted) return Promise.reject(new StrongroomError('ABORTED', 'The operation was aborted', { cause: o.abortSignal.reason }));
      const id = nextId;
      nextId = nextId >= 0xfffffff0 ? 1 : nextId + 1;
      let frame: Buffer;
      try {
        frame = encodeFrame(FRAME_REQUEST, id, { op, args });
      } catch (e) {
        return Promise.reject(e);
      }
      return new Promise<T>((res, rej) => {
        const signal = o.abortSignal;
        const timeoutMs = o.timeoutMs || callTimeoutMs;
        // Every way a call ends comes through entry.resolve or entry.reject — its answer, an error
        // frame, its deadline, an abort, the connection failing — and each clears the deadline and the
        // abort listener: a long-lived signal handed to every call must not keep a listener (and this
        // call's closure) per call it ever saw.
        const finish = () => {
          clearTimeout(entry.timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const entry: PendingCall = {
          resolve: (v) => {
            finish();
            res(v as T);
          },
          reject: (e) => {
            finish();
            rej(e);
          },
        };
        const onAbort = () => {
          if (pending.delete(id)) entry.reject(new StrongroomError('ABORTED', 'The operation was aborted', { cause: signal?.reason }));
        };
        entry.timer = setTimeout(() => {
          pending.delete(id);
          entry.reject(connectionError(url, `no answer to ${op} within ${timeoutMs} ms (a hung or unreachable node)`));
        }, timeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, entry);
        queue.push(frame);
        if (!scheduled) {
          scheduled = true;
          process.nextTick(() => {
            scheduled = false;
            const q = queue;
            queue = [];
            if (!closed) socket.write(q.length === 1 ? q[0]! : Buffer.concat(q));
          });
        }
      });
    }
  });
}
