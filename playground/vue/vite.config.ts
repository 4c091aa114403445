import vue from '@vitejs/plugin-vue';
import { playgroundViteConfig } from '../shared/vite.js';

export default playgroundViteConfig(vue(), 'Vue', 5174);
