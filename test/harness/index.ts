export * from './browser.js';
export * from './server.js';
export * from './ingest-server.js';
