export * from './browser.js';
export * from './server.js';
