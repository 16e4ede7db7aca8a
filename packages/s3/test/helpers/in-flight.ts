/**
 * Count the requests of one command that a real S3Client has in flight, and their peak, with a
 * middleware on the client's own stack (the Smithy middleware stack of the AWS SDK for JavaScript v3):
 * the requests are real; only their number is observed.
 */
import type { S3Client } from '@aws-sdk/client-s3';

export interface InFlight {
  inFlight: number;
  peak: number;
  total: number;
  /** Remove the middleware. */
  stop(): void;
}

/** Start counting `commandName` requests (those `select` accepts) on `client`. */
export function countInFlight(client: S3Client, commandName: string, select: (input: Record<string, unknown>) => boolean = () => true): InFlight {
  const name = `countInFlight-${commandName}`;
  const stats: InFlight = { inFlight: 0, peak: 0, total: 0, stop: () => client.middlewareStack.remove(name) };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName || !select(args.input as Record<string, unknown>)) return next(args);
      stats.total++;
      stats.peak = Math.max(stats.peak, ++stats.inFlight);
      try {
        return await next(args);
      } finally {
        stats.inFlight--;
      }
    },
    { step: 'initialize', name },
  );
  return stats;
}
