import { defineConfig } from 'tsdown';
import { cli, library, LIBRARY_OUTPUTS } from '../../tsdown.shared.ts';

// The binary carries the workspace packages it uses, so it runs from one file and never half-loads a
// sibling package's dist/ while that package is being rebuilt. Third-party dependencies (AWS SDK,
// commander, s3rver, pkcs11js) stay external.
export default defineConfig([library({ clean: LIBRARY_OUTPUTS }), cli({ noExternal: [/^@strongroom\//] })]);
