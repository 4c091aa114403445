export * from './replay-api.js';
export { FramedPlayer, type FramedPlayerInit } from './framed-player.js';
