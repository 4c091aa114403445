import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { RecorderProvider } from '@reprise/react';
import { withRouterMarkers } from '@reprise/react/router';
import { recorder } from './recorder.js';
import { routes } from './routes.js';
import './styles.css';

const router = withRouterMarkers(createBrowserRouter(routes), recorder);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RecorderProvider recorder={recorder}>
      <RouterProvider router={router} />
    </RecorderProvider>
  </StrictMode>,
);
