// The same app with @reprise/core/lazy: nothing records until the page has loaded, and the
// recorder arrives by import() then, so the first chunk carries only the queue.
import { createLazyRecorder } from '@reprise/core/lazy';

createLazyRecorder({ project: 'weight', endpoint: 'https://collector.example' }).start();
