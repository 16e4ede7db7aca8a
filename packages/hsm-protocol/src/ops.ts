/**
 * The typed table of every operation an HSM node serves: operation name → argument type → result
 * type. The node's handlers are declared against it (hsm-local `src/ops/*`), and a connection's
 * `call(op, args)` is typed by it, so a client and a node can only disagree at compile time.
 *
 * The operations follow AWS CloudHSM's model: users and roles
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-hsm-users-chsm-cli.html), quorum
 * authentication (https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli-service-names.html),
 * key attributes (https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_cli-key-attributes-table.html),
 * key sharing and synchronization across the HSMs of a cluster
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html).
 *
 * Result types are type aliases (not interfaces) so that they stay assignable to `WireValue`.
 */
import type { WireValue } from './wire/codec';

/** An HSM user's role: `admin` manages users and quorum, `crypto-user` manages and uses keys. */
export type Role = 'admin' | 'crypto-user';
/** Type of key material held by a node. */
export type KeyType = 'aes' | 'rsa' | 'ec' | 'generic-secret';
/** PKCS#11-style object class of a key. */
export type KeyClass = 'secret' | 'private' | 'public';
/** An elliptic curve a node supports. */
export type Curve = 'P-256' | 'P-384';
/** A SHA-2 hash a node supports for signatures and HMAC. */
export type HashName = 'sha256' | 'sha384' | 'sha512';
/** A hash for RSA-OAEP (SHA-1 included, as PKCS#11 modules support it). */
export type OaepHash = 'sha1' | HashName;
/** A signature mechanism: ECDSA, RSA-PSS or RSA PKCS#1 v1.5. */
export type SignMechanismName = 'ecdsa' | 'rsa-pss' | 'rsa-pkcs1';
/** A key wrapping mechanism: AES key wrap (RFC 3394, RFC 5649), AES-GCM, RSA-OAEP. */
export type WrapMechanism = 'aes-kw' | 'aes-kwp' | 'aes-gcm' | 'rsa-oaep-sha1' | 'rsa-oaep-sha256' | 'rsa-oaep-sha384' | 'rsa-oaep-sha512';
/** A service whose operations can require quorum approval. */
export type QuorumService = 'user' | 'quorum';

/** PKCS#11-style key attributes as the node reports them (CKA_TOKEN, CKA_EXTRACTABLE, …). */
export type NodeKeyAttributes = {
  token: boolean;
  extractable: boolean;
  encrypt: boolean;
  decrypt: boolean;
  wrap: boolean;
  unwrap: boolean;
  sign: boolean;
  verify: boolean;
  trusted: boolean;
  wrapWithTrusted: boolean;
  /** Read-only: true when the key was never extractable. */
  neverExtractable: boolean;
  /** Read-only: generated inside the HSM. */
  local: boolean;
};

/** A key as a node describes it (never its material). */
export type NodeKey = {
  handle: string;
  label: string;
  /** CKA_ID, hex or free text ('' when unset). */
  id: string;
  type: KeyType;
  class: KeyClass;
  bits: number;
  curve: Curve | null;
  owner: string;
  sharedWith: string[];
  pairHandle: string | null;
  version: number;
  attrs: NodeKeyAttributes;
  createdAt: number;
};

/** Attributes a caller may set when creating a key (`template`). */
export type KeyTemplate = {
  label: string;
  id?: string | undefined;
  token?: boolean | undefined;
  extractable?: boolean | undefined;
  encrypt?: boolean | undefined;
  decrypt?: boolean | undefined;
  wrap?: boolean | undefined;
  unwrap?: boolean | undefined;
  sign?: boolean | undefined;
  verify?: boolean | undefined;
  wrapWithTrusted?: boolean | undefined;
  /** Admin-only (CKA_TRUSTED): a crypto user setting it is refused. */
  trusted?: boolean | undefined;
  /** Crypto users to share the new key with. */
  shareWith?: string[] | undefined;
};

/** Quorum approval for an operation that needs M of N admins (omit when the quorum value is 1). */
export type QuorumArgs = {
  quorumToken?: Uint8Array | undefined;
  approvals?: Array<{ user: string; signature: Uint8Array }> | undefined;
};

/** Quorum (M of N) values per service. */
export type QuorumValues = { user: number; quorum: number };

/** The operations that need quorum approval when the quorum value of their service is above 1. */
export type QuorumOp = 'user.create' | 'user.delete' | 'user.unlock' | 'user.changePassword' | 'quorum.setValue';
/** The operations that need quorum approval when their service's quorum value is above 1. */
export const QUORUM_OPS = ['user.create', 'user.delete', 'user.unlock', 'user.changePassword', 'quorum.setValue'] as const satisfies readonly QuorumOp[];

/** The quorum service whose value governs an operation (`quorum.setValue` needs the higher of both). */
export function quorumServiceOf(op: QuorumOp): QuorumService {
  return op === 'quorum.setValue' ? 'quorum' : 'user';
}

/**
 * What a quorum token is asked for: the exact operation and its arguments (without `quorumToken` and
 * `approvals`). The node binds the token to a keyed digest of both, so approvals for one operation
 * never authorize another one or other arguments.
 */
export type QuorumTokenRequest = { [Op in QuorumOp]: { op: Op; args: Omit<HsmOps[Op]['args'], keyof QuorumArgs>; service?: QuorumService | undefined } }[QuorumOp];

/** A node's view of one peer's synchronization. */
export type SyncPeerStatus = { url: string; ok: boolean; lastSyncAt: number | null; lastError: string | null; pulled: number };

/** A node's state: `ACTIVE`, or `TAMPERED` (refuses service until restored). */
export type NodeState = 'ACTIVE' | 'TAMPERED';

/** A replicated object encrypted under the cluster masking key (only nodes of the cluster can open it). */
export type MaskedObjectWire = { id: string; version: number; kind: string; iv: Uint8Array; ct: Uint8Array; tag: Uint8Array };

type Handle = { handle: string };
type NoArgs = Record<string, never>;

/**
 * `requestId` (key.generate, key.import, key.unwrap): a client-chosen id (8…64 characters, random per
 * creation) kept with the key and replicated: a retry with the same id, on any node that holds the key,
 * returns that key instead of creating a second one under the same label. An import or unwrap retried
 * with the same id must carry the same key material (else INVALID_ARGUMENT).
 */
type CreationRequest = { requestId?: string | undefined };
/** Arguments of `key.generate`: a key type with its size or curve, a template, an optional `requestId`. */
export type KeyGenerateArgs = CreationRequest & (
  | { type: 'aes' | 'generic-secret'; bits: number; template: KeyTemplate }
  | { type: 'rsa'; bits: number; template: KeyTemplate }
  | { type: 'ec'; curve: Curve; template: KeyTemplate }
);
/** The result of `key.generate`: one key, or a private/public pair. */
export type KeyGenerateResult = { key: NodeKey } | { privateKey: NodeKey; publicKey: NodeKey };

/** Arguments of `key.find`: a label, optionally a key id, an owner, or shared keys too. */
export type KeyFindArgs = {
  label?: string | undefined;
  /**
   * Crypto users: also return keys other users shared with the caller. Off by default, so a label
   * lookup never picks a key another user created under the caller's label (label squatting).
   */
  includeShared?: boolean | undefined;
  handle?: string | undefined;
  class?: KeyClass | undefined;
  type?: KeyType | undefined;
  attributes?: Partial<NodeKeyAttributes> | undefined;
};

/** Every operation: `args` is what the caller sends, `result` what a successful node answers. */
export interface HsmOps {
  /* session (https://docs.aws.amazon.com/cloudhsm/latest/userguide/understanding-users.html) */
  hello: { args: NoArgs; result: { nodeId: string; clusterId: string; az: string; state: NodeState; protocol: number } };
  /**
   * Liveness for everyone. A crypto user also gets `keys` and `digest` over the keys it may see;
   * an admin or a node of the cluster gets the whole node view (object counts, audit sequence,
   * sessions, peers). An unauthenticated caller learns nothing about what the node holds.
   */
  status: {
    args: NoArgs;
    result: {
      nodeId: string; clusterId: string; az: string; state: NodeState;
      keys?: number | undefined; digest?: string | undefined;
      objects?: number | undefined; sessions?: number | undefined; auditSeq?: number | undefined; peers?: SyncPeerStatus[] | undefined;
    };
  };
  login: { args: { user: string; password: string }; result: { session: string; role: Role; mustChangePassword: boolean } };
  logout: { args: NoArgs; result: true };

  /* users */
  'user.changePassword': { args: { user?: string | undefined; newPassword: string } & QuorumArgs; result: true };
  'user.create': { args: { user: string; role: Role; password: string } & QuorumArgs; result: { user: string; role: Role; id: string } };
  'user.delete': { args: { user: string } & QuorumArgs; result: true };
  'user.unlock': { args: { user: string } & QuorumArgs; result: true };
  'user.list': { args: NoArgs; result: Array<{ user: string; role: Role; locked: boolean; mustChangePassword: boolean; quorumKey: boolean }> };
  'user.registerQuorumKey': { args: { publicKeyPem: string }; result: true };

  /* quorum */
  'quorum.tokenGenerate': { args: QuorumTokenRequest; result: { token: Uint8Array; service: QuorumService; expiresAt: number } };
  'quorum.get': { args: NoArgs; result: QuorumValues };
  'quorum.setValue': { args: { service: QuorumService; value: number } & QuorumArgs; result: QuorumValues };

  /* key management */
  'key.generate': { args: KeyGenerateArgs; result: KeyGenerateResult };
  'key.import': { args: CreationRequest & { format: 'raw-aes' | 'raw-secret' | 'pkcs8' | 'spki'; material: Uint8Array; template: KeyTemplate }; result: { key: NodeKey } };
  'key.find': { args: KeyFindArgs; result: NodeKey[] };
  'key.getAttributes': { args: Handle; result: NodeKey };
  'key.setAttributes': { args: Handle & { attributes: Partial<NodeKeyAttributes> & { label?: string } }; result: NodeKey };
  'key.delete': { args: Handle; result: true };
  'key.share': { args: Handle & { user: string }; result: NodeKey };
  'key.unshare': { args: Handle & { user: string }; result: NodeKey };
  'key.export': { args: Handle; result: { material: Uint8Array; format: 'raw' | 'pkcs8' | 'spki' } };
  'key.wrap': { args: Handle & { mechanism: WrapMechanism; wrappingHandle: string }; result: { wrapped: Uint8Array } };
  'key.unwrap': {
    args: CreationRequest & { mechanism: WrapMechanism; unwrappingHandle: string; keyType: KeyType; wrapped: Uint8Array; template: KeyTemplate };
    result: { key: NodeKey };
  };

  /* cryptography */
  'aes.gcmEncrypt': { args: Handle & { plaintext: Uint8Array; aad?: Uint8Array | undefined }; result: { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array } };
  'aes.gcmDecrypt': { args: Handle & { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array; aad?: Uint8Array | undefined }; result: { plaintext: Uint8Array } };
  /**
   * A data key in one call (the shape of KMS GenerateDataKey): `length` bytes from the node's RNG and
   * their AES-GCM encryption under the key (IV chosen by the node), as `random` then `aes.gcmEncrypt`
   * would give, with the same access rule as `aes.gcmEncrypt` (a crypto user, the key's CKA_ENCRYPT).
   */
  'aes.gcmGenerateDataKey': {
    args: Handle & { length: number; aad?: Uint8Array | undefined };
    result: { plaintext: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array };
  };
  'rsa.encrypt': { args: Handle & { hash: OaepHash; plaintext: Uint8Array }; result: { ciphertext: Uint8Array } };
  'rsa.decrypt': { args: Handle & { hash: OaepHash; ciphertext: Uint8Array }; result: { plaintext: Uint8Array } };
  sign: { args: Handle & { mechanism: SignMechanismName; hash: HashName; data: Uint8Array }; result: { signature: Uint8Array } };
  verify: { args: Handle & { mechanism: SignMechanismName; hash: HashName; data: Uint8Array; signature: Uint8Array }; result: { valid: boolean } };
  hmac: { args: Handle & { hash: HashName; data: Uint8Array }; result: { mac: Uint8Array } };
  'hmac.verify': { args: Handle & { hash: HashName; data: Uint8Array; mac: Uint8Array }; result: { valid: boolean } };
  digest: { args: { hash: HashName; data: Uint8Array }; result: { digest: Uint8Array } };
  random: { args: { length: number }; result: { bytes: Uint8Array } };

  /* replication of masked objects */
  'sync.export': { args: { id: string }; result: MaskedObjectWire };
  'sync.import': { args: { masked: MaskedObjectWire }; result: { changed: boolean } };
  /** Replicate a token key (or its deletion) from this node to its peers now; `nodes` = nodes holding it. */
  'key.replicate': { args: Handle; result: { nodes: number } };
  'sync.digest': { args: NoArgs; result: Array<[string, number]> };
  'sync.has': { args: { ids: string[] }; result: boolean[] };
  'sync.get': { args: { ids: string[] }; result: MaskedObjectWire[] };

  /* backups (https://docs.aws.amazon.com/cloudhsm/latest/userguide/backups.html) */
  'backup.create': { args: NoArgs; result: { path: string; createdAt: number } };
}

/** The name of an HSM node operation (a key of {@link HsmOps}). */
export type HsmOp = keyof HsmOps;
/** The argument type of operation `Op`. */
export type HsmArgs<Op extends HsmOp> = HsmOps[Op]['args'];
/** The result type of operation `Op`. */
export type HsmResult<Op extends HsmOp> = HsmOps[Op]['result'];

/** Every operation name, for code that must enumerate them (dispatch tables, docs). */
export const HSM_OPS = [
  'hello', 'status', 'login', 'logout',
  'user.changePassword', 'user.create', 'user.delete', 'user.unlock', 'user.list', 'user.registerQuorumKey',
  'quorum.tokenGenerate', 'quorum.get', 'quorum.setValue',
  'key.generate', 'key.import', 'key.find', 'key.getAttributes', 'key.setAttributes', 'key.delete', 'key.share', 'key.unshare',
  'key.export', 'key.wrap', 'key.unwrap',
  'aes.gcmEncrypt', 'aes.gcmDecrypt', 'aes.gcmGenerateDataKey', 'rsa.encrypt', 'rsa.decrypt', 'sign', 'verify', 'hmac', 'hmac.verify', 'digest', 'random',
  'sync.export', 'sync.import', 'sync.digest', 'sync.has', 'sync.get', 'key.replicate',
  'backup.create',
] as const satisfies readonly HsmOp[];

// Compile-time guards: HSM_OPS names every operation, and every result is a wire value.
type Missing = Exclude<HsmOp, (typeof HSM_OPS)[number]>;
const _complete: [Missing] extends [never] ? true : Missing = true;
void _complete;
type NotWire = { [Op in HsmOp]: HsmResult<Op> extends WireValue ? never : Op }[HsmOp];
const _wire: [NotWire] extends [never] ? true : NotWire = true;
void _wire;
