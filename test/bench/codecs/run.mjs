// npm run bench -- codecs: the measurement behind the wire codec and the batch window
// (PROTOCOL.md, "Compression"). Records the standard workload with plain rrweb once (cached in
// test/bench/.cache), then compresses it every way a worker could.
import { runCodecsBench } from './codecs.ts';

await runCodecsBench();
