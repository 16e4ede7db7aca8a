/** Bytes of plaintext a batch aims at: large enough that a worker round trip (tens of µs) is a few % of it. */
export const BATCH_TARGET = 512 * 1024;
