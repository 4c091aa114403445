import { Player } from './player.js';
import type { PlayerOptions } from './types.js';

export const PLAYER_ELEMENT_NAME = 'reprise-player';

/** HTMLElement exists only in browsers; the class below must not break server-side imports. */
const Base = (typeof HTMLElement === 'undefined' ? class {} : HTMLElement) as typeof HTMLElement;

/**
 * `<reprise-player src="/v1/sessions/ID/events" speed="2" skip-inactive="false" autoplay="false">`.
 * Or set `element.source = events` (array or async iterable) from script. The `Player` instance is
 * `element.player` once connected.
 */
export class ReprisePlayerElement extends Base {
  static observedAttributes = ['src'];
  player: Player | undefined;
  private sourceValue: PlayerOptions['source'] | undefined;
  private extraOptions: Partial<PlayerOptions> = {};

  /** Events (array or async iterable) to play instead of the `src` URL. */
  get source(): PlayerOptions['source'] | undefined {
    return this.sourceValue ?? this.getAttribute('src') ?? undefined;
  }

  set source(value: PlayerOptions['source'] | undefined) {
    this.sourceValue = value;
    this.mount();
  }

  /** Options beyond the attributes (fetchInit, parseLine, ...); applied on the next mount. */
  set options(value: Partial<PlayerOptions>) {
    this.extraOptions = value;
    this.mount();
  }

  connectedCallback(): void {
    if (!this.style.display) this.style.display = 'block';
    this.mount();
  }

  disconnectedCallback(): void {
    this.player?.destroy();
    this.player = undefined;
  }

  attributeChangedCallback(name: string, previous: string | null, next: string | null): void {
    if (name === 'src' && previous !== next && this.sourceValue === undefined) this.mount();
  }

  private flag(name: string): boolean | undefined {
    const value = this.getAttribute(name);
    if (value === null) return undefined;
    return value !== 'false';
  }

  private mount(): void {
    if (!this.isConnected) return;
    this.player?.destroy();
    this.player = undefined;
    const source = this.source;
    if (source === undefined || source === '') return;
    const speed = Number(this.getAttribute('speed'));
    const startAt = Number(this.getAttribute('start-at'));
    const options: PlayerOptions = { ...this.extraOptions, source };
    const autoplay = this.flag('autoplay');
    const skipInactive = this.flag('skip-inactive');
    const panels = this.flag('panels');
    if (autoplay !== undefined) options.autoplay = autoplay;
    if (skipInactive !== undefined) options.skipInactive = skipInactive;
    if (panels !== undefined) options.panels = panels;
    if (speed > 0) options.speed = speed;
    if (startAt >= 0 && this.hasAttribute('start-at')) options.startAt = startAt;
    this.player = new Player(this, options);
    this.dispatchEvent(new CustomEvent('reprise-player-ready', { detail: this.player }));
  }
}

/** Register `<reprise-player>` (once; safe to call again). */
export function defineReprisePlayerElement(name = PLAYER_ELEMENT_NAME): void {
  if (typeof customElements === 'undefined' || customElements.get(name)) return;
  customElements.define(name, class extends ReprisePlayerElement {});
}
