// A per-connection bandwidth cap for bench/s3 (own process, so pacing costs no CPU in the measured
// client): a TCP relay on 127.0.0.1 to the s3rver port in argv[2], pacing each connection, each
// direction, to argv[3] MiB/s. It models a link where one connection cannot fill the pipe (a remote
// S3 serves each connection at a bounded rate; Amazon S3's performance guidelines advise concurrent
// byte-range GETs for that reason: https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-guidelines.html).
// Prints {"port":N} on stdout, exits when stdin closes.
import { createConnection, createServer } from 'node:net';
import { Transform } from 'node:stream';

const target = Number(process.argv[2]);
const bytesPerMs = (Number(process.argv[3]) * 1024 * 1024) / 1000;
const BURST_MS = 20; // an idle connection may send at most this much time's worth of bytes at once

/** A token bucket: each chunk leaves when the bytes before it have had their time on the link. */
function pace() {
  let ready = 0;
  return new Transform({
    transform(chunk, _enc, done) {
      const now = performance.now();
      ready = Math.max(ready, now - BURST_MS) + chunk.length / bytesPerMs;
      const wait = ready - now;
      if (wait > 1) setTimeout(() => done(null, chunk), wait);
      else done(null, chunk);
    },
  });
}

const server = createServer((client) => {
  const upstream = createConnection({ host: '127.0.0.1', port: target });
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  client.pipe(pace()).pipe(upstream);
  upstream.pipe(pace()).pipe(client);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
const stop = () => process.exit(0);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
