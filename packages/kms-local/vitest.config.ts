import { project } from '../../vitest.shared.ts';

// The shared project resolves with the `module` condition, which picks the AWS SDK's dist-es
// build (extensionless ESM imports that Node cannot load when externalized). Drop it here until
// vitest.shared.ts does (reported to the lead).
const config = project('kms-local');
const withoutModule = (c: string[] | undefined) => c?.filter((x) => x !== 'module');
config.resolve!.conditions = withoutModule(config.resolve!.conditions);
config.ssr!.resolve!.conditions = withoutModule(config.ssr!.resolve!.conditions);
export default config;
