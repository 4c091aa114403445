import vue from '@vitejs/plugin-vue';
import { playgroundViteConfig } from '../shared/vite.js';

export default playgroundViteConfig(vue(), 5174);
