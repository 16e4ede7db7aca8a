// A standalone s3rver on 127.0.0.1 for bench/s3 (own process, so its memory and CPU are not
// counted in the client's RSS). Prints {"port":N} on stdout, exits when stdin closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

const directory = mkdtempSync(join(tmpdir(), 'strongroom-bench-s3-'));
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'bench' }] });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
const stop = async () => {
  await server.close().catch(() => {});
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
