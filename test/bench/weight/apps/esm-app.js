// The smallest app that records: what `import { createRecorder } from '@reprise/core'` costs a page.
import { createRecorder } from '@reprise/core';

createRecorder({ project: 'weight', endpoint: 'https://collector.example' }).start();
