export * from './esdk-vectors';
