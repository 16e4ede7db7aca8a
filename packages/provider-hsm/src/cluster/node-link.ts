/**
 * One cluster member as the client sees it: a persistent logged-in connection to an hsm-local node,
 * its health, and automatic rejoin. A link goes `down` the moment its connection drops (in-flight
 * requests fail over to other nodes), and a background loop reconnects and logs in again, so a
 * recovered node rejoins without any caller action (as a CloudHSM client does:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/bp-application-integration.html).
 *
 * A link that is cut (a network partition, a pulled cable) does not close: TCP neither resets nor
 * times out for minutes (RFC 9293 §3.8.3 leaves user timeouts to the application). So the link
 * watches itself: when requests are in flight and nothing has come back for `livenessMs`, it sends
 * a `hello`; no answer within another 2 × `livenessMs` and the connection is declared dead and
 * closed, its in-flight requests fail with reason CONNECTION (the cluster client retries them on
 * other nodes) and the rejoin loop takes over.
 */
import { StrongroomError } from '@strongroom/core';
import { connectHsmNode, failureReason, type HsmArgs, type HsmNodeConnection, type HsmOp, type HsmResult } from '@strongroom/hsm-protocol';

export interface NodeLinkOptions {
  url: string;
  az?: string | undefined;
  trustAnchor: string;
  clientCert: { certPem: string; keyPem: string };
  user: string;
  password: string;
  reconnectIntervalMs: number;
  /** Silence (with requests in flight) after which the link probes the node; see the module comment. Default 1000 ms. */
  livenessMs?: number;
  /** Deadline of each call on the node's connection (hsm-protocol `callTimeoutMs`). */
  callTimeoutMs?: number;
}

export interface NodeLink {
  readonly url: string;
  readonly az: string | undefined;
  readonly healthy: boolean;
  readonly lastError: string | undefined;
  nodeId: string | undefined;
  clusterId: string | undefined;
  inFlight(): number;
  /** Connect + log in now. @throws StrongroomError (ACCESS_DENIED for bad credentials). */
  open(): Promise<void>;
  /** One operation on this node; logs in again once when the session expired. */
  call<Op extends HsmOp>(op: Op, args: HsmArgs<Op>, abortSignal?: AbortSignal): Promise<HsmResult<Op>>;
  /** Keep retrying `open()` in the background until the node is back (rejoin). */
  startRejoin(): void;
  /** Called when the link comes up (rejoin) or goes down. */
  onChange(listener: () => void): void;
  close(): void;
}

export function isConnectionError(e: unknown): boolean {
  return StrongroomError.isInstance(e, 'PROVIDER_ERROR') && failureReason(e) === 'CONNECTION';
}

export function createNodeLink(o: NodeLinkOptions): NodeLink {
  let conn: HsmNodeConnection | undefined;
  let healthy = false;
  let lastError: string | undefined;
  let closed = false;
  let opening: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastAnswerAt = Date.now();
  let probing = false;
  const livenessMs = o.livenessMs ?? 1000;
  const listeners: Array<() => void> = [];
  const changed = () => listeners.forEach((l) => l());

  /** Consecutive refused logins: retried ever more slowly, so a stale password cannot lock the user quickly. */
  let refusals = 0;

  function scheduleReconnect(): void {
    if (closed || timer) return;
    const delay = refusals === 0 ? o.reconnectIntervalMs : Math.min(30_000, 1000 * 2 ** (refusals - 1));
    timer = setTimeout(() => {
      timer = undefined;
      link.open().then(
        () => (refusals = 0),
        (e: unknown) => {
          if (StrongroomError.isInstance(e, 'ACCESS_DENIED')) refusals++;
          scheduleReconnect();
        },
      );
    }, delay);
    timer.unref();
  }

  async function doOpen(): Promise<void> {
    const c = await connectHsmNode({ url: o.url, trustAnchor: o.trustAnchor, clientCert: o.clientCert, connectTimeoutMs: 2000, ...(o.callTimeoutMs !== undefined && { callTimeoutMs: o.callTimeoutMs }) });
    try {
      const hello = await c.call('hello', {}, { timeoutMs: 5000 });
      link.nodeId = hello.nodeId;
      link.clusterId = hello.clusterId;
      await c.call('login', { user: o.user, password: o.password }, { timeoutMs: 10_000 });
    } catch (e) {
      c.close();
      throw e;
    }
    if (closed) {
      c.close();
      return;
    }
    conn = c;
    healthy = true;
    lastError = undefined;
    lastAnswerAt = Date.now();
    c.onClose((err) => {
      if (conn !== c) return;
      conn = undefined;
      healthy = false;
      lastError = err?.message;
      changed();
      scheduleReconnect();
    });
    changed();
  }

  /** Answers (and errors: the node spoke) prove the connection alive. */
  function answered<T>(p: Promise<T>): Promise<T> {
    return p.then(
      (v) => ((lastAnswerAt = Date.now()), v),
      (e: unknown) => {
        if (!isConnectionError(e)) lastAnswerAt = Date.now();
        throw e;
      },
    );
  }

  const watchdog = setInterval(() => {
    const c = conn;
    if (!c || probing || c.inFlight() === 0 || Date.now() - lastAnswerAt < livenessMs) return;
    probing = true;
    c.call('hello', {}, { timeoutMs: 2 * livenessMs }).then(
      () => void (lastAnswerAt = Date.now()),
      () => {
        // No answer: the path to the node is gone. Closing fails every pending request over.
        if (conn === c) c.close();
      },
    ).finally(() => (probing = false));
  }, Math.max(50, Math.floor(livenessMs / 4)));
  watchdog.unref();

  const link: NodeLink = {
    url: o.url,
    az: o.az,
    nodeId: undefined,
    clusterId: undefined,
    get healthy() {
      return healthy;
    },
    get lastError() {
      return lastError;
    },
    inFlight: () => conn?.inFlight() ?? 0,
    open() {
      if (healthy) return Promise.resolve();
      opening ??= doOpen()
        .catch((e: unknown) => {
          lastError = (e as Error).message;
          throw e;
        })
        .finally(() => (opening = undefined));
      return opening;
    },
    async call<Op extends HsmOp>(op: Op, args: HsmArgs<Op>, abortSignal?: AbortSignal): Promise<HsmResult<Op>> {
      const c = conn;
      if (!c || !healthy) throw new StrongroomError('PROVIDER_ERROR', `hsm node ${o.url} is down`, { details: { reason: 'CONNECTION', node: o.url } });
      try {
        return await answered(c.call(op, args, abortSignal ? { abortSignal } : {}));
      } catch (e) {
        const reason = failureReason(e);
        if (reason === 'SESSION_EXPIRED' || reason === 'NOT_LOGGED_IN') {
          await c.call('login', { user: o.user, password: o.password });
          return c.call(op, args, abortSignal ? { abortSignal } : {});
        }
        if (reason === 'TAMPERED') {
          // A tampered node refuses service: take it out of rotation until it is restored.
          healthy = false;
          conn = undefined;
          c.close();
          changed();
          scheduleReconnect();
        }
        throw e;
      }
    },
    onChange: (l) => listeners.push(l),
    startRejoin: () => scheduleReconnect(),
    close() {
      closed = true;
      clearInterval(watchdog);
      if (timer) clearTimeout(timer);
      healthy = false;
      conn?.close();
      conn = undefined;
    },
  };
  return link;
}

