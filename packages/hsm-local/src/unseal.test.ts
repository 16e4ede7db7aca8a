/** Unseal secret sources (unseal.ts): derivation per node, fd and file sources, refusals. */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveUnsealKey, readUnsealSecret, resolveUnsealKey } from './unseal';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-unseal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SECRET = 'an-unseal-secret-of-some-length';

describe('unseal secret', () => {
  it('derives a different key per node and cluster from one secret, and refuses short secrets', () => {
    const a = deriveUnsealKey(SECRET, { nodeId: 'n1', clusterId: 'c1' });
    expect(a).toHaveLength(32);
    expect(deriveUnsealKey(SECRET, { nodeId: 'n1', clusterId: 'c1' })).toEqual(a);
    expect(deriveUnsealKey(SECRET, { nodeId: 'n2', clusterId: 'c1' })).not.toEqual(a);
    expect(deriveUnsealKey(SECRET, { nodeId: 'n1', clusterId: 'c2' })).not.toEqual(a);
    expect(() => deriveUnsealKey('short', { nodeId: 'n1', clusterId: 'c1' })).toThrow(/at least 16/);
  }, 60_000);

  it('reads the secret from a file descriptor or a file outside the data directory, never inside it', () => {
    const dataDir = join(tmp, 'node');
    mkdirSync(dataDir);
    writeFileSync(join(tmp, 'secret'), `${SECRET}\n`);
    writeFileSync(join(dataDir, 'secret'), `${SECRET}\n`);
    expect(readUnsealSecret({ file: join(tmp, 'secret') }, dataDir)).toBe(SECRET);
    expect(() => readUnsealSecret({ file: join(dataDir, 'secret') }, dataDir)).toThrow(/inside the data directory/);
    expect(() => readUnsealSecret({ file: join(dataDir, '..', 'node', 'secret') }, dataDir)).toThrow(/inside the data directory/);
    const fd = openSync(join(tmp, 'secret'), 'r');
    try {
      expect(readUnsealSecret({ fd }, dataDir)).toBe(SECRET);
    } finally {
      closeSync(fd);
    }
  });

  it('a node initialized with an external secret never falls back to a planted key file', () => {
    const dataDir = join(tmp, 'ext');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'unseal.key'), Buffer.alloc(32, 7));
    expect(() => resolveUnsealKey(dataDir, { nodeId: 'n1', clusterId: 'c1', unseal: 'external' }, undefined)).toThrow(/external unseal secret/);
    expect(resolveUnsealKey(dataDir, { nodeId: 'n1', clusterId: 'c1', unseal: 'external' }, SECRET)).toEqual(deriveUnsealKey(SECRET, { nodeId: 'n1', clusterId: 'c1' }));
    expect(resolveUnsealKey(dataDir, { nodeId: 'n1', clusterId: 'c1', unseal: 'file' }, SECRET)).toEqual(Buffer.alloc(32, 7));
  });
});
