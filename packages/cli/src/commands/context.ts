/**
 * What every command gets: the config (loaded on demand), verbosity and the Ctrl-C signal. Loading
 * the config prints one line on stderr naming the file, why it was chosen and the endpoints it
 * points at (docs/cli.md#which-config-file), so a user always sees where key requests go.
 */
import { StrongroomError } from '@strongroom/core';
import { describeSource, loadDevConfig, locateDevConfig, type DevConfig, type DevConfigSource } from '../dev-config';

export interface CliContext {
  readonly configPath: string;
  /** Why `configPath`: `--config`, env STRONGROOM_CONFIG, or the user's config directory. */
  readonly configSource: DevConfigSource;
  readonly verbose: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The dev config; throws a one-line error when it is missing. */
  config(): DevConfig;
  /** The dev config if the user's own file exists (kms:// works without it, against AWS); a named file must exist. */
  optionalConfig(): DevConfig | undefined;
  /** Where human-readable lines go (stdout). */
  print(line: string): void;
  /** One informational line on stderr (`strongroom: …`). */
  notice(line: string): void;
}

/** The notice for a loaded config: file, source, endpoints (and the PKCS#11 library it would load). */
export function configNotice(config: DevConfig, source: DevConfigSource): string {
  const parts = [`KMS ${config.kms.endpoint}`, `S3 ${config.s3.endpoint}`, `HSM ${config.hsm.nodes.map((n) => n.url).join(',')}`];
  const library = config.pkcs11?.library;
  if (typeof library === 'string') parts.push(`PKCS#11 library ${library}`);
  return `using config ${config.path} (${describeSource(source)}); ${parts.join(', ')}`;
}

export function createCliContext(options: { config?: string; verbose?: boolean }, signal: AbortSignal): CliContext {
  const { path: configPath, source: configSource } = locateDevConfig(options.config);
  let cached: DevConfig | undefined;
  const ctx: CliContext = {
    configPath,
    configSource,
    verbose: options.verbose === true,
    signal,
    config() {
      if (!cached) {
        cached = loadDevConfig(configPath, configSource);
        ctx.notice(configNotice(cached, configSource));
      }
      return cached;
    },
    optionalConfig() {
      try {
        return ctx.config();
      } catch (error) {
        if (StrongroomError.isInstance(error) && error.details?.reason === 'NO_CONFIG' && configSource === 'user') return undefined;
        throw error;
      }
    },
    print(line) {
      process.stdout.write(`${line}\n`);
    },
    notice(line) {
      process.stderr.write(`strongroom: ${line}\n`);
    },
  };
  return ctx;
}
