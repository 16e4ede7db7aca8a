/** What every command gets: the config (loaded on demand), verbosity and the Ctrl-C signal. */
import { StrongroomError } from '@strongroom/core';
import { loadDevConfig, resolveDevConfigPath, type DevConfig } from '../dev-config';

export interface CliContext {
  readonly configPath: string;
  readonly verbose: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The dev config; throws a one-line error when it is missing. */
  config(): DevConfig;
  /** The dev config if the file exists (kms:// works without it, against AWS). */
  optionalConfig(): DevConfig | undefined;
  /** Where human-readable lines go (stdout). */
  print(line: string): void;
}

export function createCliContext(options: { config?: string; verbose?: boolean }, signal: AbortSignal): CliContext {
  const configPath = resolveDevConfigPath(options.config);
  let cached: DevConfig | undefined;
  const ctx: CliContext = {
    configPath,
    verbose: options.verbose === true,
    signal,
    config() {
      cached ??= loadDevConfig(configPath);
      return cached;
    },
    optionalConfig() {
      try {
        return ctx.config();
      } catch (error) {
        if (StrongroomError.isInstance(error) && error.details?.reason === 'NO_CONFIG' && options.config === undefined) return undefined;
        throw error;
      }
    },
    print(line) {
      process.stdout.write(`${line}\n`);
    },
  };
  return ctx;
}
