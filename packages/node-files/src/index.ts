/**
 * `@strongroom/node-files` — Node-only file reading for paths that come from outside (flags, config
 * files, environment variables): size-capped, regular files only, never blocking on a FIFO or
 * reading a device forever (open(2) O_NONBLOCK, fstat(2)). Used by the CLI, kms-local, hsm-local and
 * the providers' config readers; see docs/security.md.
 *
 * @module \@strongroom/node-files
 */
export { checkRegularFileSync, readBoundedFdSync, readBoundedFileSync, readBoundedTextFileSync, MAX_BYTES, type BoundedReadOptions } from './bounded-read';
