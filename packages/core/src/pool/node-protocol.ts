/**
 * The Node pool's tasks besides batches (./protocol.ts): the one-time ECDSA key pair of a signed
 * message and its signature (FIPS 186-5, DER as the AWS Encryption SDK message footer carries it:
 * data-format/message-footer.md). The private key crosses as a node:crypto KeyObject (cloned).
 */
import type { KeyObject } from 'node:crypto';
import type { SignatureCurve } from '../suites';
import type { BatchTask } from './protocol';

export type NodeTask =
  | BatchTask
  | { readonly op: 'keygen'; readonly curve: SignatureCurve }
  | { readonly op: 'sign'; readonly hash: 'sha256' | 'sha384'; readonly key: KeyObject; readonly data: ArrayBuffer }
  | { readonly op: 'memory' };

export type NodeRequest = NodeTask & { readonly id: number };

export interface KeygenDone {
  readonly id: number;
  readonly ok: true;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** The message back (`data`, transferred) with its DER signature. */
export interface SignDone {
  readonly id: number;
  readonly ok: true;
  readonly data: ArrayBuffer;
  readonly signature: Uint8Array;
}

/** A worker's own memory figures (`process.memoryUsage()` in the worker: its V8 heap and its allocator's buffers), for tests. */
export interface MemoryDone {
  readonly id: number;
  readonly ok: true;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}
