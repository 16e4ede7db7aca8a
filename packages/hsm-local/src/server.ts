/**
 * The node's network front: TLS 1.3 with client certificates required and verified against the
 * cluster CA (mutual TLS, as hsm2m.medium's client↔HSM mTLS), then pipelined request/response frames
 * (@strongroom/hsm-protocol wire codec). Responses are coalesced per event-loop turn into one write, so a
 * burst of small operations costs a handful of TLS records, not one each.
 *
 * Requests the engine never sees — frames that do not decode, values that are not `{ op, args }`,
 * connections that break framing — are audited here as `request.malformed` / `connection.malformed`
 * (audit.ts bounds every field, so a malformed request adds at most a few hundred bytes to the log).
 */
import { randomUUID } from 'node:crypto';
import tls from 'node:tls';
import { StrongroomError } from '@strongroom/core';
import type { AuditLog } from './audit';
import type { ConnContext, Engine } from './engine';
import { createFrameReader, encodeFrame, FRAME_ERROR, FRAME_REQUEST, FRAME_RESPONSE, type WireValue } from '@strongroom/hsm-protocol';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface NodeServer {
  port: number;
  close(): Promise<void>;
  connections(): number;
}

/** Filesystem failures the operator can fix; reported as IO_ERROR with the cause, never as INTERNAL. */
const IO_CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the data directory is on a read-only file system',
  EACCES: 'permission denied on the data directory',
  EPERM: 'operation not permitted on the data directory',
  EIO: 'I/O error on the data directory',
  EMFILE: 'too many open files',
};

export function errorValue(e: unknown): WireValue {
  if (StrongroomError.isInstance(e)) {
    const reason = e.details?.reason;
    return { code: e.code, message: e.message, reason: typeof reason === 'string' ? reason : null };
  }
  const sysCode = (e as { code?: unknown } | null)?.code;
  if (typeof sysCode === 'string' && Object.hasOwn(IO_CAUSES, sysCode)) {
    // State writes are atomic (temp + fsync + rename), so a failed write left the previous state.
    return {
      code: 'IO_ERROR',
      message: `the HSM node could not persist its state: ${IO_CAUSES[sysCode]} (${sysCode}); the operation was not applied`,
      reason: sysCode,
    };
  }
  return { code: 'INTERNAL', message: 'internal error in the HSM node', reason: null };
}

export interface ServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  /** Where requests that never reach the engine are recorded. */
  audit?: Pick<AuditLog, 'append'>;
}

export function startServer(engine: Engine, creds: TlsMaterial, opts: ServerOptions): Promise<NodeServer> {
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    ca: creds.caPem,
    cert: creds.certPem,
    key: creds.keyPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  server.on('tlsClientError', () => undefined);
  server.on('secureConnection', (socket) => {
    if (sockets.size >= opts.maxConnections) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    const cn = String(socket.getPeerCertificate()?.subject?.CN ?? '');
    const ctx: ConnContext = { id: randomUUID(), peer: cn, sessionKeys: new Set() };
    const logMalformed = (op: string, reason: string, requestId?: number) =>
      opts.audit?.append({ op, user: ctx.session?.user ?? cn, session: ctx.session?.id, response: 'ERROR:MALFORMED', detail: { reason, ...(requestId === undefined ? {} : { requestId }) } });
    // Coalesce every response produced in one event-loop turn into a single write: one TLS record
    // batch instead of one per response (writev of many small buffers dominated profiles).
    let queue: Buffer[] = [];
    const flush = () => {
      const q = queue;
      queue = [];
      if (!socket.destroyed && q.length) socket.write(q.length === 1 ? q[0]! : Buffer.concat(q));
    };
    const send = (buf: Buffer) => {
      if (queue.push(buf) === 1) setImmediate(flush);
    };
    const reply = (id: number, v: WireValue) => {
      try {
        send(encodeFrame(FRAME_RESPONSE, id, v));
      } catch (e) {
        send(encodeFrame(FRAME_ERROR, id, errorValue(e)));
      }
    };
    const reader = createFrameReader((frame) => {
      if (frame.kind !== FRAME_REQUEST) throw new StrongroomError('MALFORMED', 'hsm wire: expected a request frame');
      const id = frame.id;
      const v = frame.value as { op?: unknown; args?: unknown } | null;
      if (!v || typeof v !== 'object' || typeof v.op !== 'string' || (v.args !== undefined && (typeof v.args !== 'object' || v.args === null || Array.isArray(v.args)))) {
        logMalformed('request.malformed', 'request must be { op, args }', id);
        send(encodeFrame(FRAME_ERROR, id, errorValue(new StrongroomError('MALFORMED', 'request must be { op, args }'))));
        return;
      }
      try {
        const r = engine.handle(ctx, v.op, (v.args ?? {}) as Record<string, WireValue>);
        if (r instanceof Promise) r.then((x) => reply(id, x), (e: unknown) => send(encodeFrame(FRAME_ERROR, id, errorValue(e))));
        else reply(id, r);
      } catch (e) {
        send(encodeFrame(FRAME_ERROR, id, errorValue(e)));
      }
    }, undefined, (id, error) => {
      logMalformed('request.malformed', error.message, id);
      send(encodeFrame(FRAME_ERROR, id, errorValue(error)));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        // A peer that breaks framing cannot be resynchronised: drop the connection.
        logMalformed('connection.malformed', StrongroomError.isInstance(e) ? e.message : 'framing error');
        socket.destroy();
      }
    });
    const closed = () => {
      if (!sockets.delete(socket)) return;
      reader.reset();
      engine.connectionClosed(ctx);
    };
    socket.on('close', closed);
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const addr = server.address() as { port: number };
      resolve({
        port: addr.port,
        connections: () => sockets.size,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
