/**
 * `@strongroom/hsm-protocol` — how a client talks to an HSM node of a Strongroom / hsm-local cluster:
 * the wire codec, one node connection (`connectHsmNode`), the typed table of every operation
 * (`HsmOps`) and the typed failure reasons. Depends only on @strongroom/core: a client of a cluster
 * installs this, never the node emulator.
 *
 * @module \@strongroom/hsm-protocol
 */
export { connectHsmNode, connectionError, parseNodeUrl, type HsmCallOptions, type HsmNodeConnectOptions, type HsmNodeConnection } from './connection';
export {
  HSM_OPS, QUORUM_OPS, quorumServiceOf,
  type Curve, type HashName, type HsmArgs, type HsmOp, type HsmOps, type HsmResult, type KeyClass, type KeyFindArgs, type KeyGenerateArgs,
  type KeyGenerateResult, type KeyTemplate, type KeyType, type MaskedObjectWire, type NodeKey, type NodeKeyAttributes, type NodeState,
  type OaepHash, type QuorumArgs, type QuorumOp, type QuorumService, type QuorumTokenRequest, type QuorumValues, type Role, type SignMechanismName, type SyncPeerStatus, type WrapMechanism,
} from './ops';
export { failureReason, hasFailureReason, HSM_FAILURE_REASONS, reasonError, type HsmFailureReason } from './reasons';
export * as wire from './wire/codec';
export {
  createFrameReader, decodeFrameBody, encodeFrame, FRAME_ERROR, FRAME_REQUEST, FRAME_RESPONSE, MAX_FRAME_BYTES, WIRE_VERSION,
  type Frame, type FrameKind, type WireValue,
} from './wire/codec';
