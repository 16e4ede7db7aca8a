import { defineConfig } from 'tsdown';
import { cli, library, LIBRARY_OUTPUTS } from '../../tsdown.shared.ts';

// The binary carries the workspace packages it uses, so it runs from one file and never half-loads a
// sibling package's dist/ while that package is being rebuilt. Third-party dependencies (AWS SDK,
// commander, s3rver, pkcs11js) stay external.
// @strongroom/testing is private (never published): its server starters (Ceph RGW for
// `strongroom dev --s3 rgw`) are bundled into the library too. The library is one file per format
// (its dynamic imports inlined: split, the CommonJS entry exported rolldown's `__toESM` helper to its
// chunks); only the binary is split, so that each command loads what it uses (src/cli.ts).
export default defineConfig([library({ clean: LIBRARY_OUTPUTS, outputOptions: { codeSplitting: false }, noExternal: [/^@strongroom\/testing/] }), cli({ noExternal: [/^@strongroom\//] })]);
