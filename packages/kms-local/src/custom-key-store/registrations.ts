/**
 * The hsm-local clusters kms-local may use for custom key stores, from a JSON registration file
 * (`<data dir>/hsm-clusters.json`, or `strongroom-kms --hsm-clusters FILE`):
 *
 *   { "clusters": [ { "clusterId": "cluster-…", "nodes": [{ "url": "tls://127.0.0.1:2223", "az": "us-east-1a" }],
 *                     "trustAnchorPem": "-----BEGIN CERTIFICATE-----…", "clientCertPem": "…", "clientKeyPem": "…" } ] }
 *
 * Outside input: parsed strictly, with caps on counts and lengths before anything is kept.
 */
import { StrongroomError } from '@strongroom/core';
import type { HsmClusterRegistration } from './connections';

const MAX_FILE = 1 << 20;
const MAX_CLUSTERS = 16;
const MAX_NODES = 28; // CloudHSM: HSMs per cluster
const MAX_PEM = 16_384;
const CLUSTER_ID = /^cluster-[A-Za-z0-9]{1,40}$/;
const NODE_URL = /^tls:\/\/127\.0\.0\.1:\d{1,5}$/;

function bad(message: string): StrongroomError {
  return new StrongroomError('MALFORMED', `hsm cluster registration: ${message}`);
}

function str(o: Record<string, unknown>, k: string, max: number, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw bad(`${where}.${k}: expected a non-empty string of at most ${max} characters`);
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse a registration document (text or parsed JSON).
 * @throws StrongroomError MALFORMED naming the offending field.
 */
export function parseHsmClusterRegistrations(input: string | unknown): HsmClusterRegistration[] {
  let doc: unknown = input;
  if (typeof input === 'string') {
    if (input.length > MAX_FILE) throw bad(`larger than ${MAX_FILE} characters`);
    try {
      doc = JSON.parse(input);
    } catch {
      throw bad('not valid JSON');
    }
  }
  if (!isObject(doc) || !Array.isArray(doc.clusters)) throw bad('expected { "clusters": [...] }');
  if (doc.clusters.length > MAX_CLUSTERS) throw bad(`at most ${MAX_CLUSTERS} clusters`);
  const seen = new Set<string>();
  return doc.clusters.map((c: unknown, i: number) => {
    const where = `clusters[${i}]`;
    if (!isObject(c)) throw bad(`${where}: expected an object`);
    const clusterId = str(c, 'clusterId', 64, where);
    if (!CLUSTER_ID.test(clusterId)) throw bad(`${where}.clusterId: expected cluster-<alphanumerics>`);
    if (seen.has(clusterId)) throw bad(`${where}.clusterId: ${clusterId} is registered twice`);
    seen.add(clusterId);
    if (!Array.isArray(c.nodes) || c.nodes.length > MAX_NODES) throw bad(`${where}.nodes: expected a list of at most ${MAX_NODES} nodes`);
    const nodes = c.nodes.map((n: unknown, j: number) => {
      if (!isObject(n)) throw bad(`${where}.nodes[${j}]: expected an object`);
      const url = str(n, 'url', 32, `${where}.nodes[${j}]`);
      if (!NODE_URL.test(url) || Number(url.slice(url.lastIndexOf(':') + 1)) > 65535) throw bad(`${where}.nodes[${j}].url: expected tls://127.0.0.1:<port>`);
      return { url, az: str(n, 'az', 64, `${where}.nodes[${j}]`) };
    });
    return {
      clusterId,
      nodes,
      trustAnchorPem: str(c, 'trustAnchorPem', MAX_PEM, where),
      clientCertPem: str(c, 'clientCertPem', MAX_PEM, where),
      clientKeyPem: str(c, 'clientKeyPem', MAX_PEM, where),
    };
  });
}
