export * from './esdk-vectors';
export * from './conformance';
export * from './servers/index';
