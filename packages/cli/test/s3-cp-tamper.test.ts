/**
 * `strongroom s3 cp` of a tampered S3 Encryption Client V3 object into a file: a V3 object carries one
 * AES-GCM tag over the whole body, so a download into a file streams plaintext into a private partial
 * file (docs/cli.md#strongroom-s3-cp) and names it only after the tag verified. A byte flipped in the
 * body or in the tag leaves nothing at the target name (a file already there keeps its content) and
 * no partial file. Every file target takes that path whatever the object's size; the object here is
 * many stream chunks long, so plaintext reaches the partial file well before the tag fails. (The
 * memory bound of the same path on a 300 MiB object is s3-cp-large.test.ts's subject.)
 * The real CLI binary, a real s3rver over a real socket.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { flipStoredBit } from '@strongroom/testing';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../src/exit';
import { errorLines } from './helpers';
import { BUCKET, cpArgs, generated, runCliStreaming, startS3Only, storedObjectPath, type S3OnlyStack } from './s3-cli-helpers';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB + 123; // hundreds of 64 KiB stream chunks
let stack: S3OnlyStack;
let out: string;
let env: Record<string, string>;

const cp = (from: string, to: string) => cpArgs(stack, from, to);

beforeAll(async () => {
  stack = await startS3Only();
  env = { STRONGROOM_RAW_AES_KEY: stack.rawKeyBase64 };
  out = join(stack.dir, 'out');
  mkdirSync(out, { mode: 0o700 });
  const up = await runCliStreaming([...cp('-', `s3://${BUCKET}/v3.bin`), '--format', 'v3'], { stdin: generated(SIZE, 1), env });
  expect(errorLines(up.stderr)).toEqual([]);
  expect(up.code).toBe(0);
  expect(statSync(storedObjectPath(stack, 'v3.bin')).size).toBe(SIZE + 16); // V3: ciphertext ‖ tag
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** Flip one bit of the stored ciphertext at `offset` (from the end when negative); twice restores it. */
const flipStoredByte = (offset: number) => flipStoredBit(storedObjectPath(stack, 'v3.bin'), offset);

it('the untampered object downloads into the file (0600)', async () => {
  const r = await runCliStreaming(cp(`s3://${BUCKET}/v3.bin`, join(out, 'good.bin')), { env });
  expect(errorLines(r.stderr)).toEqual([]);
  expect(r.code).toBe(0);
  expect(statSync(join(out, 'good.bin')).size).toBe(SIZE);
  expect(statSync(join(out, 'good.bin')).mode & 0o777).toBe(0o600);
});

it('a byte flipped in the body or in the tag: nothing at the target name, the old file kept, no partial file', async () => {
  const target = join(out, 'target.bin');
  writeFileSync(target, 'the old file');
  for (const [name, offset] of [['body', 16 * MiB], ['tag', -1]] as const) {
    flipStoredByte(offset);
    const r = await runCliStreaming(cp(`s3://${BUCKET}/v3.bin`, target), { env });
    flipStoredByte(offset); // restore
    expect(r.code, name).toBe(EXIT.DATA);
    expect(errorLines(r.stderr), name).toHaveLength(1);
    expect(r.stderr).toMatch(/tampered|authentication/i);
    expect(readFileSync(target, 'utf8')).toBe('the old file');
    expect(readdirSync(out).sort()).toEqual(['good.bin', 'target.bin']);
  }
  // and a new name is never created
  flipStoredByte(5);
  const r = await runCliStreaming(cp(`s3://${BUCKET}/v3.bin`, join(out, 'never.bin')), { env });
  flipStoredByte(5);
  expect(r.code).toBe(EXIT.DATA);
  expect(readdirSync(out).sort()).toEqual(['good.bin', 'target.bin']);
});
