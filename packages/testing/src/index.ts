export * from './esdk-vectors';
export * from './conformance';
export * from './servers/index';
export * from './required-ec-vectors';
export * from './required-ec-interop';
export * from './generated-data';
export * from './tamper';
