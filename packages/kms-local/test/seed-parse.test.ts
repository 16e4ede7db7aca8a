/**
 * The seed file parser as an attacker's input: every malformed, duplicated, oversized or
 * prototype-named document is refused with a typed error naming the file and the path in it.
 */
import { StrongroomError } from '@strongroom/core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_SEED_BYTES, MAX_SEED_KEYS, parseSeed, validateSeed } from '../src/index';

const ID = '0f3bd5a1-8a53-4b52-9a4e-5b1f6a1b9c01';
const ID2 = '7d5e3c1b-2f4a-4e9d-8c7b-6a5f4e3d2c1b';
const head = 'version: 1\naccount: "658956600833"\nregion: us-west-2\n';
const MATERIAL = Buffer.alloc(32, 7).toString('base64');

function refused(text: string, path: string, problem: string, format: 'yaml' | 'json' = 'yaml') {
  let caught: unknown;
  try {
    parseSeed(text, 'seed.yaml', format);
  } catch (e) {
    caught = e;
  }
  expect(StrongroomError.isInstance(caught, 'MALFORMED'), String(caught)).toBe(true);
  const e = caught as StrongroomError;
  expect(e.message).toContain('kms-local seed seed.yaml');
  expect(e.details).toMatchObject({ source: 'seed.yaml', problem });
  if (path !== '*') expect(e.details!.path).toBe(path);
  return e;
}

describe('seed parser', () => {
  it('reads a full seed: ids or ARNs, specs, usages, states, material, tags, aliases', () => {
    const seed = parseSeed(
      `${head}keys:
  - id: ${ID}
    description: the symmetric key
    material: ${MATERIAL}
    aliases: [alias/EncryptDecrypt, alias/team/a_b-c]
    tags: { owner: vectors, "__proto__": x }
  - arn: arn:aws:kms:us-west-2:658956600833:key/${ID2}
    spec: RSA_3072
    usage: SIGN_VERIFY
    state: PendingDeletion
    pendingWindowInDays: 7
  - id: mrk-0123456789abcdef0123456789abcdef
  - id: 11111111-2222-4333-8444-555555555555
    spec: HMAC_384
    state: Disabled
`,
      'seed.yaml',
    );
    expect(seed.account).toBe('658956600833');
    expect(seed.region).toBe('us-west-2');
    expect(seed.keys.map((k) => [k.keyId, k.spec, k.usage, k.state])).toEqual([
      [ID, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled'],
      [ID2, 'RSA_3072', 'SIGN_VERIFY', 'PendingDeletion'],
      ['mrk-0123456789abcdef0123456789abcdef', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled'],
      ['11111111-2222-4333-8444-555555555555', 'HMAC_384', 'GENERATE_VERIFY_MAC', 'Disabled'],
    ]);
    expect(Buffer.from(seed.keys[0]!.material!)).toEqual(Buffer.alloc(32, 7));
    expect([...seed.keys[0]!.tags]).toEqual([['owner', 'vectors'], ['__proto__', 'x']]);
    expect(seed.keys[1]!.pendingWindowInDays).toBe(7);
    expect(seed.keys[0]!.aliases).toEqual(['alias/EncryptDecrypt', 'alias/team/a_b-c']);
  });

  it('JSON seeds: the same schema; duplicate names refused (JSON.parse would keep the last one)', () => {
    const doc = { version: 1, account: '658956600833', region: 'us-west-2', keys: [{ id: ID, aliases: ['alias/a'] }] };
    expect(parseSeed(JSON.stringify(doc), 'seed.json', 'json').keys[0]!.keyId).toBe(ID);
    refused(`{"version": 1, "account": "658956600833", "account": "111122223333", "region": "us-west-2", "keys": []}`, '*', 'duplicate', 'json');
    refused(`{"version": 1, "account": "658956600833", "region": "us-west-2", "keys": [{"id": "${ID}", "material": "${MATERIAL}", "material": "${Buffer.alloc(32, 1).toString('base64')}"}]}`, '*', 'duplicate', 'json');
  });

  it('unknown fields are refused, at the top and in a key (a typo never silently drops a setting)', () => {
    refused(`${head}keys: []\nalias: []\n`, 'alias', 'unknown-field');
    refused(`${head}keys:\n  - id: ${ID}\n    keyMaterial: ${MATERIAL}\n`, 'keys[0].keyMaterial', 'unknown-field');
    refused(`${head}keys:\n  - id: ${ID}\n    Aliases: [alias/x]\n`, 'keys[0].Aliases', 'unknown-field');
  });

  it('duplicate key ids (also one given by id and one by ARN), aliases and YAML mapping keys are refused', () => {
    const e = refused(`${head}keys:\n  - id: ${ID}\n  - arn: arn:aws:kms:us-west-2:658956600833:key/${ID}\n`, 'keys[1]', 'duplicate');
    expect(e.message).toContain('already defined at keys[0]');
    refused(`${head}keys:\n  - id: ${ID}\n    aliases: [alias/a]\n  - id: ${ID2}\n    aliases: [alias/b, alias/a]\n`, 'keys[1].aliases[1]', 'duplicate');
    refused(`${head}keys:\n  - id: ${ID}\n    aliases: [alias/a, alias/a]\n`, 'keys[0].aliases[1]', 'duplicate');
    refused(`${head}keys:\n  - id: ${ID}\n    id: ${ID2}\n`, '*', 'duplicate');
  });

  it('aliases must start with alias/ and not alias/aws/, with KMS characters only', () => {
    refused(`${head}keys:\n  - id: ${ID}\n    aliases: [EncryptDecrypt]\n`, 'keys[0].aliases[0]', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    aliases: [alias/aws/s3]\n`, 'keys[0].aliases[0]', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    aliases: ["alias/a b"]\n`, 'keys[0].aliases[0]', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    aliases: ["alias/"]\n`, 'keys[0].aliases[0]', 'value');
  });

  it('ARNs must be in the seed account and Region, and agree with the id', () => {
    const other = refused(`${head}keys:\n  - arn: arn:aws:kms:us-west-2:111122223333:key/${ID}\n`, 'keys[0].arn', 'arn-mismatch');
    expect(other.message).toContain('111122223333');
    refused(`${head}keys:\n  - arn: arn:aws:kms:us-east-1:658956600833:key/${ID}\n`, 'keys[0].arn', 'arn-mismatch');
    refused(`${head}keys:\n  - id: ${ID2}\n    arn: arn:aws:kms:us-west-2:658956600833:key/${ID}\n`, 'keys[0].arn', 'arn-mismatch');
    refused(`${head}keys:\n  - arn: arn:aws-cn:kms:us-west-2:658956600833:key/${ID}\n`, 'keys[0].arn', 'value');
    refused(`${head}keys:\n  - arn: arn:aws:kms:us-west-2:658956600833:alias/x\n`, 'keys[0].arn', 'value');
    refused(`${head}keys:\n  - description: no id\n`, 'keys[0].id', 'missing-field');
  });

  it('key ids are KMS key ids: prototype names and path tricks are refused', () => {
    for (const id of ['__proto__', 'constructor', 'toString', '../x', ID.toUpperCase(), `${ID}0`, 'mrk-xyz']) {
      refused(`${head}keys:\n  - id: "${id}"\n`, 'keys[0].id', 'value');
    }
    refused(`${head}keys:\n  - arn: "arn:aws:kms:us-west-2:658956600833:key/__proto__"\n`, 'keys[0].arn', 'value');
  });

  it('prototype names as fields are unknown fields, never object internals', () => {
    refused(`${head}keys: []\n__proto__: { polluted: true }\n`, '__proto__', 'unknown-field');
    refused(`${head}keys:\n  - id: ${ID}\n    __proto__: { spec: RSA_2048 }\n`, 'keys[0].__proto__', 'unknown-field');
    refused(`{"version": 1, "account": "658956600833", "region": "us-west-2", "keys": [], "__proto__": {"x": 1}}`, '__proto__', 'unknown-field', 'json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // a programmatic seed built by JSON.parse carries an own __proto__ member: also refused
    expect(() => validateSeed(JSON.parse(`{"version": 1, "account": "658956600833", "region": "us-west-2", "keys": [], "__proto__": {}}`), '<options.seed>')).toThrow(/__proto__: unknown field/);
  });

  it('material: base64 of exactly 32 bytes, for SYMMETRIC_DEFAULT keys only', () => {
    for (const m of [Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), 'not base64!', `${MATERIAL}=`, '']) {
      refused(`${head}keys:\n  - id: ${ID}\n    material: "${m}"\n`, 'keys[0].material', m === '' ? 'length' : 'value');
    }
    refused(`${head}keys:\n  - id: ${ID}\n    spec: RSA_2048\n    material: ${MATERIAL}\n`, 'keys[0].material', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    spec: HMAC_256\n    material: ${MATERIAL}\n`, 'keys[0].material', 'value');
    // the message never echoes the material
    const e = refused(`${head}keys:\n  - id: ${ID}\n    spec: RSA_2048\n    material: ${MATERIAL}\n`, 'keys[0].material', 'value');
    expect(e.message).not.toContain(MATERIAL);
  });

  it('specs, usages, states and values within KMS limits', () => {
    refused(`${head}keys:\n  - id: ${ID}\n    spec: AES_256\n`, 'keys[0].spec', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    spec: ECC_NIST_P256\n    usage: ENCRYPT_DECRYPT\n`, 'keys[0].usage', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    state: Unavailable\n`, 'keys[0].state', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    pendingWindowInDays: 7\n`, 'keys[0].pendingWindowInDays', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    state: PendingDeletion\n    pendingWindowInDays: 6\n`, 'keys[0].pendingWindowInDays', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    tags: { "aws:x": y }\n`, 'keys[0].tags["aws:x"]', 'value');
    refused(`${head}keys:\n  - id: ${ID}\n    tags: { k: 5 }\n`, 'keys[0].tags["k"]', 'type');
    refused(`${head}keys:\n  - id: ${ID}\n    description: ${'d'.repeat(8193)}\n`, 'keys[0].description', 'length');
    const tags = Array.from({ length: 51 }, (_, i) => `t${i}: v`).join(', ');
    refused(`${head}keys:\n  - id: ${ID}\n    tags: { ${tags} }\n`, 'keys[0].tags', 'too-many');
  });

  it('the header: version 1, a quoted 12-digit account, a Region name', () => {
    refused(`version: 2\naccount: "658956600833"\nregion: us-west-2\nkeys: []\n`, 'version', 'value');
    const e = refused(`version: 1\naccount: 658956600833\nregion: us-west-2\nkeys: []\n`, 'account', 'type');
    expect(e.message).toContain('quote it');
    refused(`version: 1\naccount: "65895660083"\nregion: us-west-2\nkeys: []\n`, 'account', 'value');
    refused(`version: 1\naccount: "658956600833"\nregion: US-WEST-2\nkeys: []\n`, 'region', 'value');
    refused(`version: 1\naccount: "658956600833"\nregion: us-west-2\n`, 'keys', 'missing-field');
    refused(`- 1\n- 2\n`, '', 'type');
  });

  it('YAML anchors and aliases are refused (no entity expansion: "billion laughs")', () => {
    const laughs = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n`;
    const e = refused(`${laughs}${head}keys: []\n`, '', 'syntax');
    expect(e.message).toContain('anchors and aliases are not allowed');
  });

  it('caps: file size and number of keys, checked before anything is built', () => {
    refused(`${head}keys: []\n#${'x'.repeat(MAX_SEED_BYTES)}\n`, '', 'too-large');
    const keys = Array.from({ length: MAX_SEED_KEYS + 1 }, (_, i) => `  - id: 00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`).join('\n');
    refused(`${head}keys:\n${keys}\n`, 'keys', 'too-many');
  });

  it('the example in docs/kms-local.md "Seed file" is a valid seed', () => {
    const doc = readFileSync(new URL('../../../docs/kms-local.md', import.meta.url), 'utf8');
    const example = /## Seed file[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const seed = parseSeed(example, 'docs/kms-local.md');
    expect(seed.keys.map((k) => [k.spec, k.state])).toEqual([
      ['SYMMETRIC_DEFAULT', 'Enabled'],
      ['RSA_3072', 'Enabled'],
      ['HMAC_256', 'Disabled'],
      ['SYMMETRIC_DEFAULT', 'PendingDeletion'],
    ]);
    expect(seed.keys[0]!.material).toHaveLength(32);
  });

  it('syntax errors name a line', () => {
    const e = refused(`${head}keys:\n  - id: [unclosed\n`, '*', 'syntax');
    expect(e.details!.path).toMatch(/^line \d+, column \d+$/);
  });
});
