/** The typed failure reasons and the node URL parser (any host: name, IPv4, [IPv6]). */
import { StrongroomError } from '@strongroom/core';
import { describe, expect, it } from 'vitest';
import { failureReason, hasFailureReason, HSM_FAILURE_REASONS, parseNodeUrl } from '../src/index';

describe('failureReason', () => {
  it('reads a known reason from a StrongroomError and nothing from anything else', () => {
    const e = new StrongroomError('ACCESS_DENIED', 'x', { details: { reason: 'QUORUM_REQUIRED' } });
    expect(failureReason(e)).toBe('QUORUM_REQUIRED');
    expect(hasFailureReason(e, 'LOGIN_FAILED', 'QUORUM_REQUIRED')).toBe(true);
    expect(hasFailureReason(e, 'LOGIN_FAILED')).toBe(false);
    expect(failureReason(new StrongroomError('IO_ERROR', 'disk', { details: { reason: 'ENOSPC' } }))).toBeUndefined();
    expect(failureReason(new StrongroomError('ACCESS_DENIED', 'x'))).toBeUndefined();
    expect(failureReason(Object.assign(new Error('x'), { details: { reason: 'THROTTLED' } }))).toBeUndefined();
    expect(failureReason('THROTTLED')).toBeUndefined();
  });

  it('knows every reason a node raises today', () => {
    for (const r of ['NOT_LOGGED_IN', 'LOGIN_FAILED', 'USER_LOCKED', 'THROTTLED', 'KEY_FUNCTION_NOT_PERMITTED', 'NOT_OWNER', 'LIMIT', 'TAMPERED', 'CONNECTION']) {
      expect(HSM_FAILURE_REASONS).toContain(r);
    }
  });
});

describe('parseNodeUrl', () => {
  it('accepts host names, IPv4 and bracketed IPv6 addresses', () => {
    expect(parseNodeUrl('tls://127.0.0.1:2223')).toEqual({ host: '127.0.0.1', port: 2223, name: '127.0.0.1' });
    expect(parseNodeUrl('tls://localhost:2223')).toEqual({ host: '127.0.0.1', port: 2223, name: 'localhost' });
    expect(parseNodeUrl('tls://hsm-a.az1.internal:443')).toEqual({ host: 'hsm-a.az1.internal', port: 443, name: 'hsm-a.az1.internal' });
    expect(parseNodeUrl('tls://198.18.0.11:7301')).toEqual({ host: '198.18.0.11', port: 7301, name: '198.18.0.11' });
    expect(parseNodeUrl('tls://[::1]:7301')).toEqual({ host: '::1', port: 7301, name: '::1' });
    expect(parseNodeUrl('tls://[2001:db8::11]:7301')).toEqual({ host: '2001:db8::11', port: 7301, name: '2001:db8::11' });
  });

  it('refuses anything else with INVALID_ARGUMENT', () => {
    for (const bad of [
      'http://127.0.0.1:1', 'tls://127.0.0.1', 'tls://127.0.0.1:0', 'tls://127.0.0.1:65536', 'tls://:80', 'tls://a b:80', 'tls://host/path:80',
      'tls://user@host:80', 'tls://999.1.1.1:80', 'tls://[not-v6]:80', 'tls://::1:80', 'tls://-bad.example:80', `tls://${'a'.repeat(64)}.x:80`, 'tls://h:80/x',
    ]) {
      expect(() => parseNodeUrl(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => parseNodeUrl(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
