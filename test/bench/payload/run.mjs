// npm run bench -- payload: bytes on the wire for the standard workload (test/bench/README.md),
// Reprise beside the peers' methods computed from the very same recorded events; first, asset
// bytes apart from events for pages with a linked stylesheet and a web font (issue 18).
import { runAssetPayloadBench } from './assets.ts';
import { runPayloadBench } from './payload.ts';

await runAssetPayloadBench();
await runPayloadBench();
