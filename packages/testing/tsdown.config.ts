import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { index: 'src/index.ts', 'servers/index': 'src/servers/index.ts' },
  format: ['esm'],
  dts: true,
  platform: 'node',
  target: 'node20',
  clean: true,
});
