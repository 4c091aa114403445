import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './app.js';
import { AuthProvider, startLoginCheck } from './auth.js';
import { startEarlyPlayback } from './early-playback.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('[@reprise/collector admin] index.html lost its #root element');

// The playback stream first: the largest answer, and the one the first frame waits for.
startEarlyPlayback(window.location);
startLoginCheck();

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <AuthProvider>
        <App />
      </AuthProvider>
    </BrowserRouter>
  </StrictMode>,
);
