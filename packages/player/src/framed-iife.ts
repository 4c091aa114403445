// Script-tag build of a framed player's host side: `window.RepriseFramedPlayer.FramedPlayer`, a few
// kB without the replayer (the frame loads reprise-player.iife.js and calls servePlayerFrame()).
export { FramedPlayer } from './framed-player.js';
