// Consumers type-checking these sources (through the @reprise/source condition) need the `?inline` module type too.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient module declaration has nothing to import
/// <reference path="./css.d.ts" />
import { h } from './dom.js';
import playerCss from './player.css?inline';

let stylesInjected = false;

/** Insert the player's stylesheet once per document (also done by `new Player` unless `injectStyles: false`). */
export function injectPlayerStyles(doc: Document = document): void {
  if (stylesInjected || doc.querySelector('style[data-reprise-player]')) return;
  stylesInjected = true;
  doc.head.append(h('style', { 'data-reprise-player': '', text: playerCss }));
}
