// npm run bench -- payload: bytes on the wire for the standard workload (test/bench/README.md),
// Reprise beside the peers' methods computed from the very same recorded events.
import { runPayloadBench } from './payload.ts';

await runPayloadBench();
