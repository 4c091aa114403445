import react from '@vitejs/plugin-react';
import { playgroundViteConfig } from '../shared/vite.js';

export default playgroundViteConfig(react(), 'React', 5173);
