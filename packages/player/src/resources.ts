import { EventType, IncrementalSource, NodeType, type RecordedEvent, type SerializedNode } from '@reprise/protocol';

/**
 * What a recorded URL is loaded as in the replay, so a resolver can pick the right asset:
 * `stylesheet` is a `<link>` (or `@import`), `css` a `url()` in CSS (an image or, inside
 * `@font-face`, a font), `font` a font event's source.
 */
export type ResourceKind = 'image' | 'media' | 'stylesheet' | 'css' | 'font' | 'other';

/**
 * Maps a URL the replayed page would load to the URL to load instead (a captured asset served by
 * the collector, a blob: URL), or returns undefined / null to leave it to the player's policy.
 */
export type ResolveUrl = (url: string, kind: ResourceKind) => string | null | undefined;

export interface ResourcePolicyOptions {
  resolveUrl?: ResolveUrl | undefined;
  /** Keep recorded URLs the resolver does not map (the viewer's browser fetches them). */
  originalResources?: boolean | undefined;
}

/** Sources whose events carry CSS text: style sheet rules, fonts, style declarations, adopted sheets. */
const CSS_SOURCES = new Set<number>([
  IncrementalSource.StyleSheetRule,
  IncrementalSource.Font,
  IncrementalSource.StyleDeclaration,
  IncrementalSource.AdoptedStyleSheet,
]);

/** Where a URL needs no network: inline data, and nothing at all. */
const LOCAL_URL = /^\s*(data:|about:|#|$)/i;
const CSS_URL =
  /url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)'"\s]*))\s*\)|@import\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/gi;
/** Attributes whose value is a URL the element loads (`href` only where it loads: not `<a>`). */
const URL_ATTRIBUTES = new Set(['src', 'poster', 'background', 'data', 'href', 'xlink:href']);
const LINK_TAGS = new Set(['a', 'area', 'base']);

type Json = Record<string, unknown>;

/**
 * Rewrites the URLs in recorded events before the replayer sees them: every URL the replayed page
 * would fetch (src, srcset, poster, link href, CSS url() and @import, fonts) goes through
 * `resolveUrl`; what it does not map is dropped unless `originalResources` is set. The events
 * given are not modified unless the caller owns them: an event with DOM or CSS in it is copied first.
 */
export class ResourcePolicy {
  /** Element tags by id: whether `href` loads something depends on it (`<a>` does not). */
  private readonly tags = new Map<number, string>();
  /** Text nodes inside `<style>`: their text is CSS. */
  private readonly styleTexts = new Set<number>();

  constructor(private readonly options: ResourcePolicyOptions = {}) {}

  /** Whether this policy changes anything: with neither a resolver nor blocking, events pass as they are. */
  get active(): boolean {
    return !!this.options.resolveUrl || !this.options.originalResources;
  }

  /**
   * The event as the replayer should see it. `owned`: nobody else holds it (parsed from the stream
   * just now), so it is rewritten in place; copying every mutation cost a window restored from the
   * archive about half of its time (the playback bench).
   */
  prepare(event: RecordedEvent, owned = false): RecordedEvent {
    const source = (event.data as { source?: number } | undefined)?.source;
    const full = event.type === EventType.FullSnapshot;
    if (
      !this.active ||
      !(
        full ||
        (event.type === EventType.IncrementalSnapshot &&
          (source === IncrementalSource.Mutation || CSS_SOURCES.has(source!)))
      )
    )
      return event;
    if (!isObject(event.data)) return event;
    const copy = owned ? event : structuredClone(event);
    // A recording comes from the network: any field may be missing or of another type. What is not
    // the shape rrweb writes is left as it is (the replayer builds nothing from it either).
    const data = copy.data as Json;
    if (full) this.node(data.node);
    else if (source === IncrementalSource.Mutation) {
      for (const add of objects(data.adds)) this.node(add.node);
      for (const change of objects(data.attributes))
        if (isObject(change.attributes)) this.attributes(this.tags.get(change.id as number), change.attributes, true);
      for (const text of objects(data.texts))
        if (this.styleTexts.has(text.id as number) && typeof text.value === 'string') text.value = this.css(text.value);
    } else this.cssStrings(data, source === IncrementalSource.Font ? 'font' : 'css');
    return copy;
  }

  /** Every string in a CSS-carrying event (rules, declarations, font sources) as CSS. */
  private cssStrings(value: unknown, kind: ResourceKind): void {
    if (!value || typeof value !== 'object') return;
    const record = value as Json;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'string') record[key] = this.css(item, kind);
      else this.cssStrings(item, kind);
    }
  }

  private node(value: unknown): void {
    if (!isObject(value)) return;
    const node = value as SerializedNode;
    if (node.type === NodeType.Element && isObject(node.attributes)) {
      const tag = typeof node.tagName === 'string' ? node.tagName.toLowerCase() : '';
      if (node.id !== undefined) this.tags.set(node.id, tag);
      this.attributes(tag, node.attributes, false);
    } else if (node.isStyle && typeof node.textContent === 'string') {
      if (node.id !== undefined) this.styleTexts.add(node.id);
      node.textContent = this.css(node.textContent);
    }
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) this.node(child);
  }

  /**
   * `tag` is undefined for an attribute change on an element this policy has not seen (a window
   * fetched after a seek): then every `href` counts as one that loads. In a mutation, null
   * removes an attribute; in a snapshot, leaving it out does.
   */
  private attributes(tag: string | undefined, attributes: Json, isChange: boolean): void {
    const set = (name: string, value: string | undefined) => {
      if (value !== undefined) attributes[name] = value;
      else if (isChange) attributes[name] = null;
      else delete attributes[name];
    };
    for (const [name, value] of Object.entries(attributes)) {
      const key = name.toLowerCase();
      if (key === 'style' && value && typeof value === 'object') {
        // A style change as rrweb's object of properties: `{ background: 'url(...)' }` or `[value, priority]`.
        this.cssStrings(value, 'css');
        continue;
      }
      if (typeof value !== 'string') continue;
      if (key === 'style' || key === '_csstext') set(name, this.css(value));
      else if (key === 'srcset' || key === 'imagesrcset') set(name, this.srcset(value));
      // rrweb records every URL already resolved against the page's <base> (an Angular app's
      // `<base href="/">`); in the replay it would only be refused by the frame's CSP, an error a load.
      else if (key === 'href' && tag === 'base') set(name, undefined);
      else if (URL_ATTRIBUTES.has(key) && !(key.endsWith('href') && LINK_TAGS.has(tag!)))
        set(name, this.url(value, key === 'poster' ? 'image' : kindOf(tag)));
      // <meta http-equiv="refresh" content="0; url=..."> would navigate the replay's frame.
      else if (key === 'content' && tag === 'meta' && /url\s*=/i.test(value)) set(name, undefined);
    }
  }

  /** The URL to load instead of `url`, or undefined to load nothing. */
  private url(url: string, kind: ResourceKind): string | undefined {
    if (LOCAL_URL.test(url)) return url;
    return this.options.resolveUrl?.(url, kind) || (this.options.originalResources ? url : undefined);
  }

  private srcset(value: string): string | undefined {
    const candidates = value
      .split(/,(?=\s|[^,]*$)/)
      .map((candidate) => {
        const [url = '', ...descriptor] = candidate.trim().split(/\s+/);
        const resolved = url && this.url(url, 'image');
        return resolved ? [resolved, ...descriptor].join(' ') : '';
      })
      .filter(Boolean);
    return candidates.length > 0 ? candidates.join(', ') : undefined;
  }

  private css(text: string, kind: ResourceKind = 'css'): string {
    if (!/url\(|@import/i.test(text)) return text;
    return text.replace(CSS_URL, (match, d?: string, s?: string, bare?: string, importD?: string, importS?: string) => {
      const imported = importD ?? importS;
      const url = (imported ?? d ?? s ?? bare ?? '').replace(/\\(.)/g, '$1');
      const resolved = this.url(url, imported !== undefined ? 'stylesheet' : kind);
      if (resolved === url) return match;
      // `data:,` loads nothing and is valid wherever url() or @import is.
      const target = JSON.stringify(resolved ?? 'data:,');
      return imported !== undefined ? `@import ${target}` : `url(${target})`;
    });
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

/** The objects of a list that should be one: nothing when it is not an array. */
function objects(list: unknown): Json[] {
  return Array.isArray(list) ? list.filter(isObject) : [];
}

function kindOf(tag: string | undefined): ResourceKind {
  if (tag === 'video' || tag === 'audio' || tag === 'source' || tag === 'track') return 'media';
  return tag === 'link' ? 'stylesheet' : tag === 'img' || tag === 'input' || tag === 'image' ? 'image' : 'other';
}
