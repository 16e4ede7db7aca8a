/**
 * The CLI's parsers of outside strings (docs/cli.md): key URIs (`--key`), and the argument parsers
 * behind `--context k=v`, sizes, durations, lists, counts, prices and `s3://bucket/key` — called
 * in-process on arbitrary strings, mutated valid values, and values built from the prototype names
 * (context keys, S3 keys, aliases, labels). A parse or a typed error; a parsed context is a plain
 * object holding exactly the pairs given.
 */
import { parseKeyUri } from '@strongroom/cli';
import fc from 'fast-check';
import { parseContext, parseDuration, parseList, parseNonNegative, parsePositiveInt, parseS3Url, parseSize } from '../../../../packages/cli/src/args';
import { UsageError } from '../../../../packages/cli/src/exit';
import { defineTarget, Untyped, type FuzzSession } from '../harness';
import { mutateString, stringEdits } from '../mutate';
import { nameLike, prototypeNameVariants } from '../names';

const VALID_URIS = ['kms://alias/strongroom-dev', 'kms://arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'kms://mrk-1234abcd12ab34cd56ef1234567890ab', 'hsm://app-kek', 'raw-aes://ns/name', 'cks://alias/x', 'pkcs11://label'];
const PROTO_URIS = prototypeNameVariants(['kms://alias/', 'kms://', 'hsm://', 'pkcs11://', 'cks://alias/', 'raw-aes://ns/', 'raw-aes://']);

export const keyUris = defineTarget({
  name: 'cli-key-uri',
  description: 'cli parseKeyUri on arbitrary strings (UTF-16 and binary), non-strings, mutated valid URIs of every scheme and URIs naming the prototype names',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<unknown>> {
    return {
      arbitrary: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.tuple(fc.constantFrom(...VALID_URIS, ...PROTO_URIS), stringEdits).map(([v, e]) => mutateString(v, e)),
        fc.constantFrom(...PROTO_URIS),
        fc.anything({ maxDepth: 1 }),
      ),
      run(input) {
        const u = parseKeyUri(input);
        if (typeof input !== 'string') throw new Untyped('parsed a non-string');
        if (Object.getPrototypeOf(u) !== Object.prototype) throw new Untyped('result is not a plain object');
      },
      bytes: (input) => Buffer.from(typeof input === 'string' ? input : `(${typeof input}) ${String(input)}`),
      async close() {},
    };
  },
});

type ArgCase =
  | { readonly kind: 'context'; readonly pairs: string[] }
  | { readonly kind: 'size' | 'duration' | 'int' | 'number' | 's3' | 'list'; readonly value: string };

const contextPair = fc.oneof(
  fc.tuple(nameLike(fc.string({ maxLength: 12 }), ['aws-crypto-']), fc.string({ maxLength: 12 })).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom('tenant=acme', 'a=b', '__proto__=x', 'constructor=', '=v', 'k'), stringEdits).map(([v, e]) => mutateString(v, e)),
  fc.string({ maxLength: 30 }),
);

export const cliArgs = defineTarget({
  name: 'cli-args',
  description: 'cli argument parsers in-process: --context pairs (keys from the prototype names, duplicates, reserved prefixes), sizes, durations, positive ints, non-negative numbers, comma lists, s3:// URLs with prototype-name keys',
  async: false,
  ciCases: 3_000,
  async open(): Promise<FuzzSession<ArgCase>> {
    const s3Url = fc.oneof(
      fc.tuple(fc.constantFrom('b', 'my-bucket', '__proto__', 'a.b', 'x'), nameLike(fc.string({ maxLength: 40 }), ['dir/', 'x-amz-meta-'])).map(([b, k]) => `s3://${b}/${k}`),
      fc.tuple(fc.constantFrom('s3://my-bucket/key', 's3://bucket/a/b/c.txt', 's3://', 's3://b'), stringEdits).map(([v, e]) => mutateString(v, e)),
    );
    const numeric = (valid: string[]) => fc.oneof(fc.string({ maxLength: 20 }), fc.tuple(fc.constantFrom(...valid), stringEdits).map(([v, e]) => mutateString(v, e)), fc.constantFrom(...valid));
    return {
      arbitrary: fc.oneof(
        fc.record({ kind: fc.constant('context' as const), pairs: fc.array(contextPair, { maxLength: 6 }) }),
        fc.record({ kind: fc.constant('size' as const), value: numeric(['1KiB', '64MiB', '4096', '1GiB', '2GB', '999999999999G']) }),
        fc.record({ kind: fc.constant('duration' as const), value: numeric(['10s', '500ms', '2m', '0.5s', '9999999m']) }),
        fc.record({ kind: fc.constant('int' as const), value: numeric(['1', '64', '999999999', '0']) }),
        fc.record({ kind: fc.constant('number' as const), value: numeric(['0', '0.03', '123456789012.123456789']) }),
        fc.record({ kind: fc.constant('list' as const), value: fc.oneof(fc.array(nameLike(fc.string({ maxLength: 8 })), { maxLength: 20 }).map((xs) => xs.join(',')), numeric(['a,b,c', 'kms,hsm', ',,'])) }),
        fc.record({ kind: fc.constant('s3' as const), value: s3Url }),
      ),
      run(c) {
        try {
          switch (c.kind) {
            case 'context': {
              const ctx = parseContext(c.pairs);
              if (Object.getPrototypeOf(ctx) !== Object.prototype) throw new Untyped('parseContext returned an object with a foreign prototype');
              const keys = Object.keys(ctx);
              if (keys.length !== c.pairs.length) throw new Untyped(`parseContext kept ${keys.length} of ${c.pairs.length} pairs`);
              for (const p of c.pairs) {
                const k = p.slice(0, p.indexOf('='));
                if (!Object.hasOwn(ctx, k) || ctx[k] !== p.slice(p.indexOf('=') + 1)) throw new Untyped(`parseContext lost or changed the pair ${JSON.stringify(p)}`);
              }
              return;
            }
            case 'size':
              parseSize(c.value, '--part-size');
              return;
            case 'duration':
              parseDuration(c.value, '--duration');
              return;
            case 'int':
              parsePositiveInt(c.value, '--count', 1_000_000);
              return;
            case 'number':
              parseNonNegative(c.value, '--price');
              return;
            case 'list':
              parseList(c.value, '--backends', (s) => s);
              return;
            case 's3': {
              const loc = parseS3Url(c.value);
              if (loc && (loc.key.length === 0 || Object.getPrototypeOf(loc) !== Object.prototype)) throw new Untyped('parseS3Url returned a bad location');
              return;
            }
          }
        } catch (e) {
          if (e instanceof UsageError) return;
          throw e;
        }
      },
      bytes: (c) => Buffer.from(`${c.kind}\n${c.kind === 'context' ? c.pairs.join('\n') : c.value}`),
      async close() {},
    };
  },
});
