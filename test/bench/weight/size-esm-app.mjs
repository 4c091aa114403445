// size-limit's esbuild config for the createRecorder app (apps.esbuild.mjs, sizeLimitConfig).
import { sizeLimitConfig } from './apps.esbuild.mjs';

export default sizeLimitConfig('esm-app');
