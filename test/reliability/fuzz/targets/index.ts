/**
 * Every fuzz target, in the order bench/fuzz runs them (parsers first, servers last).
 */
import type { FuzzTarget } from '../harness';
import { cliArgs, keyUris } from './cli';
import { esdkFooter, esdkFrames, esdkHeader } from './esdk';
import { hsmLiveNode } from './hsm-node';
import { hsmWireCodec } from './hsm-wire';
import { kmsCiphertextBlobs, kmsRequestBodies } from './kms';
import { encryptionContexts, hsmProviderInfo, kmsArns } from './misc';
import { s3ecGetObject, s3ecInstructionFile, s3ecMetadata } from './s3ec';

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  esdkHeader, esdkFrames, esdkFooter, encryptionContexts,
  s3ecMetadata, s3ecInstructionFile, s3ecGetObject,
  hsmWireCodec, hsmProviderInfo, kmsArns,
  keyUris, cliArgs,
  kmsCiphertextBlobs, kmsRequestBodies, hsmLiveNode,
];
