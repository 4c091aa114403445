// Where the recorder's main-thread time goes: the standard workload under Chromium's CPU profiler,
// plain rrweb against Reprise's capture alone, mapped through the source maps (profile.ts).
// `node --conditions=@reprise/source --import tsx test/bench/overhead/profile.mjs`, after
// `REPRISE_PROFILE_BUILD=1 npm run build` (unminified script-tag bundles: the lines table names statements).
import { runOverheadProfile } from './profile.ts';

await runOverheadProfile();
