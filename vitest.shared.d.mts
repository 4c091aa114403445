import type { UserConfig } from 'vitest/config';

/** Shared vitest settings; see vitest.shared.mjs. */
export function sharedTestConfig(name: string): UserConfig;
