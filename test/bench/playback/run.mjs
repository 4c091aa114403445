// npm run bench -- playback: long sessions (30 minutes, 2 hours) opened in the admin UI beside plain
// rrweb's Replayer given the whole session (test/bench/README.md).
import { runPlaybackBench } from './playback.ts';

await runPlaybackBench();
