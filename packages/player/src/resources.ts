import { EventType, type RecordedEvent } from '@reprise/protocol';

/** What a recorded URL is loaded as in the replay, so a resolver can pick the right asset. */
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

// rrweb's serialized node types and incremental sources, as numbers: the player does not depend on
// rrweb's type packages for these.
const NODE_ELEMENT = 2;
const NODE_TEXT = 3;
const SOURCE_MUTATION = 0;
const SOURCE_STYLE_SHEET_RULE = 8;
const SOURCE_FONT = 10;
const SOURCE_STYLE_DECLARATION = 13;
const SOURCE_ADOPTED_STYLE_SHEET = 15;

/** Where a URL needs no network: inline data, and nothing at all. */
const LOCAL_URL = /^\s*(data:|about:|#|$)/i;
const CSS_URL = /url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)'"\s]*))\s*\)/gi;
const CSS_IMPORT = /@import\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/gi;
/** An url() that loads nothing and is valid everywhere url() is. */
const EMPTY_CSS_URL = 'url("data:,")';

type Attributes = Record<string, unknown>;
interface SerializedNode {
  type: number;
  id?: number;
  tagName?: string;
  attributes?: Attributes;
  childNodes?: SerializedNode[];
  textContent?: string;
  isStyle?: boolean;
}

/**
 * Rewrites the URLs in recorded events before the replayer sees them: every URL the replayed page
 * would fetch (src, srcset, poster, link href, CSS url() and @import, fonts) goes through
 * `resolveUrl`; what it does not map is dropped unless `originalResources` is set. Events are
 * copied where changed, never modified in place (the caller may hold them).
 */
export class ResourcePolicy {
  /** Element ids whose tag decides whether `href` loads something (`<a>` does not). */
  private readonly tags = new Map<number, string>();
  /** Text nodes inside `<style>`: their text is CSS. */
  private readonly styleTexts = new Set<number>();

  constructor(private readonly options: ResourcePolicyOptions = {}) {}

  /** Whether this policy changes anything: with neither a resolver nor blocking, events pass as they are. */
  get active(): boolean {
    return !!this.options.resolveUrl || !this.options.originalResources;
  }

  prepare(event: RecordedEvent): RecordedEvent {
    if (!this.active) return event;
    const data = event.data as Record<string, unknown> | undefined;
    if (!data) return event;
    if (event.type === EventType.FullSnapshot) {
      const node = this.node(data.node as SerializedNode);
      return node === data.node ? event : { ...event, data: { ...data, node } };
    }
    if (event.type !== EventType.IncrementalSnapshot) return event;
    const next = this.incremental(data);
    return next === data ? event : { ...event, data: next };
  }

  private incremental(data: Record<string, unknown>): Record<string, unknown> {
    switch (data.source) {
      case SOURCE_MUTATION:
        return this.mutation(data);
      case SOURCE_STYLE_SHEET_RULE:
        return this.ruleLists(data, ['adds']);
      case SOURCE_ADOPTED_STYLE_SHEET: {
        const styles = data.styles as Array<Record<string, unknown>> | undefined;
        if (!Array.isArray(styles)) return data;
        const next = mapChanged(styles, (style) => this.ruleLists(style, ['rules']));
        return next === styles ? data : { ...data, styles: next };
      }
      case SOURCE_STYLE_DECLARATION: {
        const set = data.set as { value?: unknown } | undefined;
        if (typeof set?.value !== 'string') return data;
        const value = this.css(set.value);
        return value === set.value ? data : { ...data, set: { ...set, value } };
      }
      case SOURCE_FONT: {
        if (typeof data.fontSource !== 'string') return data;
        const fontSource = this.css(data.fontSource, 'font');
        return fontSource === data.fontSource ? data : { ...data, fontSource };
      }
      default:
        return data;
    }
  }

  /** StyleSheetRule `adds` and adopted sheets' `rules`: `{ rule: string }` entries. */
  private ruleLists(data: Record<string, unknown>, keys: string[]): Record<string, unknown> {
    let next = data;
    for (const key of keys) {
      const list = data[key] as Array<{ rule?: unknown }> | undefined;
      if (!Array.isArray(list)) continue;
      const mapped = mapChanged(list, (entry) => {
        if (typeof entry?.rule !== 'string') return entry;
        const rule = this.css(entry.rule);
        return rule === entry.rule ? entry : { ...entry, rule };
      });
      if (mapped !== list) next = { ...next, [key]: mapped };
    }
    return next;
  }

  private mutation(data: Record<string, unknown>): Record<string, unknown> {
    let next = data;
    const adds = data.adds as Array<{ node: SerializedNode }> | undefined;
    if (Array.isArray(adds)) {
      const mapped = mapChanged(adds, (add) => {
        const node = this.node(add.node);
        return node === add.node ? add : { ...add, node };
      });
      if (mapped !== adds) next = { ...next, adds: mapped };
    }
    const attributes = data.attributes as Array<{ id: number; attributes: Attributes }> | undefined;
    if (Array.isArray(attributes)) {
      const mapped = mapChanged(attributes, (change) => {
        const rewritten = this.attributes(this.tags.get(change.id), change.attributes, true);
        return rewritten === change.attributes ? change : { ...change, attributes: rewritten };
      });
      if (mapped !== attributes) next = { ...next, attributes: mapped };
    }
    const texts = data.texts as Array<{ id: number; value: unknown }> | undefined;
    if (Array.isArray(texts)) {
      const mapped = mapChanged(texts, (text) => {
        if (!this.styleTexts.has(text.id) || typeof text.value !== 'string') return text;
        const value = this.css(text.value);
        return value === text.value ? text : { ...text, value };
      });
      if (mapped !== texts) next = { ...next, texts: mapped };
    }
    return next;
  }

  private node(node: SerializedNode): SerializedNode {
    if (!node || typeof node !== 'object') return node;
    let next = node;
    if (node.type === NODE_ELEMENT && node.attributes) {
      const tag = (node.tagName ?? '').toLowerCase();
      if (node.id !== undefined) this.tags.set(node.id, tag);
      const attributes = this.attributes(tag, node.attributes, false);
      if (attributes !== node.attributes) next = { ...next, attributes };
    } else if (node.type === NODE_TEXT && node.isStyle && typeof node.textContent === 'string') {
      if (node.id !== undefined) this.styleTexts.add(node.id);
      const textContent = this.css(node.textContent);
      if (textContent !== node.textContent) next = { ...next, textContent };
    }
    if (Array.isArray(node.childNodes)) {
      const childNodes = mapChanged(node.childNodes, (child) => this.node(child));
      if (childNodes !== node.childNodes) next = { ...next, childNodes };
    }
    return next;
  }

  /**
   * `tag` is undefined for an attribute change on an element this policy has not seen (a window
   * fetched after a seek): then every `href` counts as one that loads.
   */
  private attributes(tag: string | undefined, attributes: Attributes, isChange: boolean): Attributes {
    let next = attributes;
    const set = (name: string, value: unknown) => {
      if (next === attributes) next = { ...attributes };
      // In a mutation, null removes the attribute; in a snapshot, leaving it out does.
      if (value === undefined) {
        if (isChange) next[name] = null;
        else delete next[name];
      } else next[name] = value;
    };
    for (const [name, value] of Object.entries(attributes)) {
      const key = name.toLowerCase();
      if (key === 'style' && value && typeof value === 'object') {
        // A style change as rrweb's object of properties: `{ background: 'url(...)' }`.
        let changed = false;
        const style: Record<string, unknown> = {};
        for (const [property, entry] of Object.entries(value as Record<string, unknown>)) {
          const rewritten = this.cssValue(entry);
          if (rewritten !== entry) changed = true;
          style[property] = rewritten;
        }
        if (changed) set(name, style);
        continue;
      }
      if (typeof value !== 'string') continue;
      if (key === 'style' || key === '_csstext') {
        const css = this.css(value);
        if (css !== value) set(name, css);
      } else if (key === 'srcset' || key === 'imagesrcset') {
        set(name, this.srcset(value));
      } else if (
        key === 'src' ||
        key === 'poster' ||
        key === 'background' ||
        key === 'data' ||
        ((key === 'href' || key === 'xlink:href') && tag !== 'a' && tag !== 'area' && tag !== 'base')
      ) {
        set(name, this.url(value, kindOf(tag, key, attributes)));
      } else if (key === 'content' && tag === 'meta' && /^\s*\d*\s*[;,]\s*url\s*=/i.test(value)) {
        // <meta http-equiv="refresh" content="0; url=..."> would navigate the replay's frame.
        set(name, undefined);
      }
    }
    return next;
  }

  /** The URL to load instead of `url`, or undefined to load nothing. */
  private url(url: string, kind: ResourceKind): string | undefined {
    if (LOCAL_URL.test(url)) return url;
    const resolved = this.options.resolveUrl?.(url, kind);
    if (resolved) return resolved;
    return this.options.originalResources ? url : undefined;
  }

  private srcset(value: string): string | undefined {
    const candidates: string[] = [];
    for (const candidate of value.split(/,(?=\s|[^,]*$)/)) {
      const [url = '', ...descriptor] = candidate.trim().split(/\s+/);
      if (!url) continue;
      const resolved = this.url(url, 'image');
      if (resolved !== undefined) candidates.push([resolved, ...descriptor].join(' '));
    }
    return candidates.length > 0 ? candidates.join(', ') : undefined;
  }

  private cssValue(entry: unknown): unknown {
    if (typeof entry === 'string') return this.css(entry);
    if (Array.isArray(entry) && typeof entry[0] === 'string') {
      const value = this.css(entry[0]);
      return value === entry[0] ? entry : [value, ...entry.slice(1)];
    }
    return entry;
  }

  private css(text: string, kind: ResourceKind = 'css'): string {
    if (!/url\(|@import/i.test(text)) return text;
    const inFontFace = (offset: number) => kind === 'font' || isInFontFace(text, offset);
    let next = text.replace(CSS_URL, (match, double?: string, single?: string, bare?: string, offset?: number) => {
      const url = unescapeCss(double ?? single ?? bare ?? '');
      const resolved = this.url(url, inFontFace(offset ?? 0) ? 'font' : kind);
      if (resolved === url) return match;
      return resolved === undefined ? EMPTY_CSS_URL : `url(${JSON.stringify(resolved)})`;
    });
    next = next.replace(CSS_IMPORT, (match, double?: string, single?: string) => {
      const url = unescapeCss(double ?? single ?? '');
      const resolved = this.url(url, 'stylesheet');
      if (resolved === url) return match;
      return `@import ${JSON.stringify(resolved ?? 'data:text/css,')}`;
    });
    return next;
  }
}

function kindOf(tag: string | undefined, key: string, attributes: Attributes): ResourceKind {
  if (key === 'poster') return 'image';
  if (tag === 'video' || tag === 'audio' || tag === 'source' || tag === 'track') return 'media';
  if (tag === 'link') {
    const rel = typeof attributes.rel === 'string' ? attributes.rel.toLowerCase() : '';
    if (rel.includes('stylesheet')) return 'stylesheet';
    if (rel.includes('icon')) return 'image';
    const as = typeof attributes.as === 'string' ? attributes.as.toLowerCase() : '';
    if (as === 'font') return 'font';
    if (as === 'style') return 'stylesheet';
    if (as === 'image') return 'image';
    return 'other';
  }
  if (tag === 'img' || tag === 'input' || tag === 'image' || key === 'background') return 'image';
  return 'other';
}

/** Whether the url() at `offset` is inside an `@font-face { ... }` block (the last block opened before it). */
function isInFontFace(text: string, offset: number): boolean {
  const before = text.lastIndexOf('{', offset);
  if (before < 0) return false;
  return /@font-face\s*$/i.test(text.slice(Math.max(0, before - 40), before));
}

function unescapeCss(url: string): string {
  return url.replace(/\\(.)/g, '$1');
}

/** `list.map(fn)`, but the same array when `fn` changed nothing (so unchanged events are not copied). */
function mapChanged<T>(list: T[], fn: (item: T) => T): T[] {
  let next: T[] | undefined;
  for (let index = 0; index < list.length; index += 1) {
    const item = list[index]!;
    const mapped = fn(item);
    if (mapped !== item) {
      next ??= list.slice();
      next[index] = mapped;
    }
  }
  return next ?? list;
}
