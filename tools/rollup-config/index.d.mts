import type { Plugin, RollupOptions } from 'rollup';

export interface IifeBuild {
  input: string;
  file: string;
  name?: string;
  minify?: boolean;
  globals?: Record<string, string>;
  target?: string;
}

export function defineRollupConfig(options: {
  input: Record<string, string>;
  cwd?: string;
  iife?: IifeBuild[];
  platform?: 'browser' | 'node';
  external?: string[];
  plugins?: Plugin[];
  define?: Record<string, string>;
}): RollupOptions[];

/** Drops the second, unused postcss copy that @rrweb/replay's bundle carries (see rrweb-replay.mjs). */
export function dropRrwebUnusedPostcss(): Plugin;
