import type { KeyProvider } from '@strongroom/core';
export declare function capturing(inner: KeyProvider, keys: Uint8Array[]): KeyProvider;
