/**
 * Strings from a KMS endpoint that name Object.prototype members (a ConnectionErrorCode, an
 * exception name) find nothing in the fix tables: a string code and the generic advice, never an
 * inherited function (issue 18 item 1). The errors are shaped as @aws-sdk/client-kms throws them.
 */
import { StrongroomError } from '@strongroom/core';
import { describe, expect, it } from 'vitest';
import { storeNotReadyMessage, toAdminError } from '../src/errors';

const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
const awsError = (name: string) => Object.assign(new Error('from the endpoint'), { name, $metadata: { httpStatusCode: 400 } });

describe('prototype-named strings from the endpoint', () => {
  it.each(NAMES)('ConnectionErrorCode %s gets the generic advice', (code) => {
    const message = storeNotReadyMessage({ customKeyStoreId: 'cks-1', connectionState: 'FAILED', connectionErrorCode: code });
    expect(message).toContain(`failed to connect with ${code}: the KMS endpoint hit an internal error`);
    expect(message).not.toContain('native code');
  });

  it.each(NAMES)('an admin error named %s is PROVIDER_ERROR', (name) => {
    const error = toAdminError(awsError(name), 'ConnectCustomKeyStore');
    expect(StrongroomError.isInstance(error)).toBe(true);
    expect(error.code).toBe('PROVIDER_ERROR');
  });
});
