export * from './esdk-vectors';
export * from './conformance';
