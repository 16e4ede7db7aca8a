/**
 * `@strongroom/node-files` — Node-only file reading for paths that come from outside (flags, config
 * files, environment variables): size-capped, regular files only, never blocking on a FIFO or
 * reading a device forever (open(2) O_NONBLOCK, fstat(2)); and a server's secret taken from a file,
 * the environment or a no-echo prompt, never only from argv; and a server's tie to the process that
 * started it (`onStopRequest`). Used by the CLI, kms-local, hsm-local and the providers' config
 * readers; see docs/security.md.
 *
 * @module \@strongroom/node-files
 */
export { checkRegularFileSync, readBoundedFdSync, readBoundedFileSync, readBoundedTextFileSync, MAX_BYTES, type BoundedReadOptions } from './bounded-read';
export { MAX_SECRET_FILE_BYTES, SECRET_PIPE_DEADLINE_MS, promptHiddenLine, readSecretFileBytes, readServerSecret, readServerSecretFile, type PromptInput, type ServerSecretIo, type ServerSecretSpec } from './server-secret';
export { onStopRequest, type StopRequestOptions } from './parent-tie';
export { CONFIG_ENV, CONFIG_FILE_NAME, checkConfigWriters, locateConfig, userConfigDir } from './config-location';
