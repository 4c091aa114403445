/* global document */
// The same app through the React adapter. React itself is the app's, not ours: external.
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { RecorderProvider } from '@reprise/react';

createRoot(document.body).render(
  createElement(RecorderProvider, { options: { project: 'weight', endpoint: 'https://collector.example' } }, 'app'),
);
