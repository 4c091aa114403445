// size-limit's esbuild config for the RecorderProvider app (apps.esbuild.mjs, sizeLimitConfig).
import { sizeLimitConfig } from './apps.esbuild.mjs';

export default sizeLimitConfig('react-app');
