/**
 * The remaining parsers of outside bytes: HSM provider info (the key-provider field of an ESDK
 * encrypted data key written by @strongroom/provider-hsm), KMS ARNs in provider info (AWS ARN format:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html) and the serialized encryption
 * context of an ESDK header (message format, "AAD" section).
 */
import { parseEncryptionContext, serializeEncryptionContext } from '@strongroom/core';
import { encodeProviderInfo, parseProviderInfo } from '@strongroom/provider-hsm';
import { parseKmsArn } from '@strongroom/provider-kms';
import fc from 'fast-check';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { byteEdits, mutateBytes, mutateString, stringEdits } from '../mutate';
import { nameLike, nameLikeMap } from '../names';

export const hsmProviderInfo = defineTarget({
  name: 'hsm-provider-info',
  description: 'provider-hsm parseProviderInfo on arbitrary bytes and mutated real provider info (labels from the prototype names)',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<Buffer>> {
    const real = ['app-kek', '__proto__', 'constructor'].map((keyLabel) => encodeProviderInfo({ backendId: 'cluster-1234', keyLabel, iv: new Uint8Array(12).fill(7) } as Parameters<typeof encodeProviderInfo>[0]));
    return {
      arbitrary: fc.oneof(fc.uint8Array({ maxLength: 700 }).map((b) => Buffer.from(b)), fc.tuple(fc.nat(), byteEdits).map(([i, e]) => mutateBytes(real[i % real.length]!, e))),
      run(bytes) {
        parseProviderInfo(bytes);
      },
      bytes: (b) => b,
      async close() {},
    };
  },
});

export const kmsArns = defineTarget({
  name: 'kms-arn',
  description: 'provider-kms parseKmsArn on arbitrary and mutated ARNs (key ids and aliases from the prototype names): a parse or undefined, never a throw',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<string>> {
    const arns = ['arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab', 'arn:aws:kms:eu-west-1:111122223333:alias/app'];
    return {
      arbitrary: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.tuple(fc.constantFrom(...arns), stringEdits).map(([v, e]) => mutateString(v, e)),
        nameLike(fc.string({ maxLength: 8 }), ['arn:aws:kms:us-east-1:111122223333:key/', 'arn:aws:kms:us-east-1:111122223333:alias/']),
      ),
      run(s) {
        try {
          parseKmsArn(s);
        } catch (e) {
          throw new Untyped(`parseKmsArn threw: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
      bytes: (s) => Buffer.from(s),
      async close() {},
    };
  },
});

export const encryptionContexts = defineTarget({
  name: 'esdk-encryption-context',
  description: 'core parseEncryptionContext on arbitrary bytes, mutated real contexts, and serialize→parse round trips of contexts with prototype-name keys',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<{ bytes: Uint8Array; context?: Record<string, string> }>> {
    const real = serializeEncryptionContext({ tenant: 'acme', purpose: 'fuzz', 'aws-crypto-public-key': 'A'.repeat(44) });
    return {
      arbitrary: fc.oneof(
        fc.uint8Array({ maxLength: 400 }).map((bytes) => ({ bytes })),
        byteEdits.map((e) => ({ bytes: mutateBytes(real, e) })),
        nameLikeMap(fc.string({ maxLength: 10 }), nameLike(fc.string({ minLength: 1, maxLength: 10 }))).map((context) => {
          let bytes: Uint8Array;
          try {
            bytes = serializeEncryptionContext(context);
          } catch {
            bytes = new Uint8Array(0);
          }
          return { bytes, context };
        }),
      ),
      run({ bytes, context }) {
        const parsed = parseEncryptionContext(bytes);
        if (context && bytes.length > 0) {
          const a = Object.keys(parsed).sort();
          const b = Object.keys(context).sort();
          if (a.length !== b.length || a.some((k, i) => k !== b[i] || parsed[k] !== context[k])) throw new Untyped('parse(serialize(context)) differs from the context');
        }
      },
      bytes: (c) => c.bytes,
      async close() {},
    };
  },
});
