// npm run bench -- overhead: main-thread time of the standard workload with no recorder, plain
// rrweb record, and Reprise (recorder + delivery to a loopback collector).
import { runOverheadBench } from './overhead.ts';

await runOverheadBench();
