/**
 * The node's typed errors. Every refusal carries a reason from the protocol's closed set
 * (@strongroom/hsm-protocol `HsmFailureReason`), which the client reads with `failureReason(e)`.
 */
import { StrongroomError } from '@strongroom/core';
import type { HsmFailureReason } from '@strongroom/hsm-protocol';

export const denied = (message: string, reason?: HsmFailureReason): StrongroomError =>
  new StrongroomError('ACCESS_DENIED', message, reason ? { details: { reason } } : {});
export const unavailable = (message: string): StrongroomError => new StrongroomError('KEY_UNAVAILABLE', message);
export const invalid = (message: string): StrongroomError => new StrongroomError('INVALID_ARGUMENT', message);
export const limit = (message: string): StrongroomError => new StrongroomError('LIMIT_EXCEEDED', message, { details: { reason: 'LIMIT' satisfies HsmFailureReason } });
export const tamperedError = (nodeId: string): StrongroomError =>
  new StrongroomError('PROVIDER_ERROR', `node ${nodeId} is in the TAMPERED state: it has zeroized its keys and refuses service until restored from a backup`, {
    details: { reason: 'TAMPERED' satisfies HsmFailureReason },
  });
