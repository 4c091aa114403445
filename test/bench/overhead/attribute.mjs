// Where Reprise's capture spends the script time it adds over plain rrweb: its parts switched off one
// at a time, and rrweb given Reprise's options (attribute.ts). Not part of `npm run bench` (about 30
// minutes): `node --conditions=@reprise/source --import tsx test/bench/overhead/attribute.mjs`, from test/.
import { runOverheadAttribution } from './attribute.ts';

await runOverheadAttribution();
