export * from './errors';
export * from './suites';
export type * from './key-provider';
