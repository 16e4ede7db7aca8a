/**
 * vitest globalSetup of the s3 project: one Ceph RGW (packages/testing startRgw) for the whole run,
 * shared by every test file through `inject('rgw')`; each file uses its own bucket. Where the Ceph
 * programs are missing, the files print why their RGW suites skip (they fail under
 * STRONGROOM_REQUIRE_ALL_SUITES=1, see s3-servers.ts).
 */
import type { TestProject } from 'vitest/node';
import { rgwUnavailable, startRgw } from '@strongroom/testing/servers';

export type ProvidedRgw = { endpoint: string; accessKeyId: string; secretAccessKey: string } | { unavailable: string };

declare module 'vitest' {
  export interface ProvidedContext {
    rgw: ProvidedRgw;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const reason = rgwUnavailable();
  if (reason) {
    project.provide('rgw', { unavailable: reason });
    return undefined;
  }
  const rgw = await startRgw();
  project.provide('rgw', { endpoint: rgw.endpoint, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey });
  return () => rgw.close();
}
