import { defineConfig } from 'tsdown';
import { library } from '../../tsdown.shared.ts';

export default defineConfig(library());
