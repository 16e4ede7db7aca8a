/**
 * The core client that seals and opens framed objects on the Node entry (core's framed sealer and
 * opener: frames sealed in any order, for parallel multipart uploads and ranged GETs). Suite 0x0478
 * (AWS Encryption SDK specification, framework/algorithm-suites.md), required commitment.
 */
import { createClient, type StrongroomClient } from '@strongroom/core';
import type { ResolvedConfig } from './options';

const clients = new WeakMap<ResolvedConfig, StrongroomClient>();

/** The core client that seals and opens this configuration's framed objects (suite 0x0478). */
export function framedClient(cfg: ResolvedConfig): StrongroomClient {
  let client = clients.get(cfg);
  if (!client) {
    client = createClient({
      keyProviders: cfg.providers,
      suite: 0x0478,
      frameLength: cfg.frameLength,
      commitmentPolicy: 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT',
    });
    clients.set(cfg, client);
  }
  return client;
}
