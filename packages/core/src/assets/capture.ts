import type { RecordedEvent, SerializedNode } from '@reprise/protocol/page';

/**
 * Asset capture (PROTOCOL.md "Assets"), loaded after recording starts: the original text of
 * each `<link rel=stylesheet>` the page could read, the fonts and images it names, and the
 * `<img>` pictures the page can read, hashed,
 * uploaded to the collector once per project, and referred to by hash in the snapshot. Inline
 * `<style>` elements get their original text back too (in the event itself, not uploaded). This
 * module is not on the start-up path: the recorder import()s it on the first snapshot.
 */

export const ASSET_REF_PREFIX = 'reprise-asset:';

export interface AssetCaptureOptions {
  endpoint: string;
  project: string;
  sessionId: string;
  /** Largest asset read and uploaded (bytes). */
  maxAssetBytes: number;
  /** Most asset bytes this session uploads; past it, stylesheets keep their CSSOM copy. */
  maxSessionBytes: number;
  /** The page's node with this recorded id (rrweb's mirror). */
  nodeOf: (id: number) => Node | null | undefined;
  /** The fetch to read assets with: the page's own, from before network capture patched it. */
  fetch: typeof fetch;
  onError: (error: unknown) => void;
}

export interface AssetCapture {
  /**
   * Looks for stylesheets in these events and captures them. Undefined when there are none;
   * else a promise of the function that puts the references in (each stylesheet that could not
   * be captured keeps rrweb's CSSOM copy).
   */
  collect(events: readonly RecordedEvent[]): Promise<() => void> | undefined;
}

const URL_IN_CSS = /url\(\s*(['"]?)([^'")]*?)\1\s*\)/g;
const FONT_OR_IMAGE = /\.(woff2?|ttf|otf|eot|png|jpe?g|gif|webp|avif|svg)(?:[?#]|$)/i;
const TYPE_BY_EXTENSION: Record<string, string> = {
  woff2: 'font/woff2',
  woff: 'font/woff',
  ttf: 'font/ttf',
  otf: 'font/otf',
  eot: 'application/vnd.ms-fontobject',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
};
const ASSET_TYPE = /^(text\/css|font\/[a-z0-9.+-]+|image\/[a-z0-9.+-]+|application\/(font-woff2?|vnd\.ms-fontobject))$/;

interface Asset {
  hash: string;
  bytes: Uint8Array;
  type: string;
}

/** Read and hashed once per page (URL -> asset), whatever the session: assets outlive a session. */
const pageAssets = new Map<string, Promise<Asset | undefined>>();
/** Hashes the collector has confirmed, per `endpoint project`. */
const storedHashes = new Map<string, Set<string>>();

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * A node whose asset can be captured: a stylesheet `<link>` rrweb inlined, an `<img>` by its
 * `src`, or a `<style>` whose CSSOM copy rrweb took.
 */
interface AssetNode {
  node: SerializedNode;
  kind: 'stylesheet' | 'image' | 'style';
  /** An attribute change in a mutation, where null removes an attribute (a snapshot leaves it out). */
  change?: true;
}

/** Most inline `<style>` text compared per capture: the check parses it again on the main thread. */
const MAX_STYLE_TEXT_PER_CAPTURE = 512 * 1024;

/**
 * The text an inline `<style>` was written with, when it says exactly what the element's sheet
 * holds now. rrweb copies the CSSOM instead, and Chromium serialises a shorthand with `var()`
 * (`font: 1rem/1.5 var(--font)`) as empty longhands, so the replay loses it; the original text
 * is right. A sheet changed through the CSSOM (`insertRule`, as CSS-in-JS libraries do) no longer
 * matches its text and keeps rrweb's copy, as does one split over several text nodes or one with
 * `@import` (a constructed sheet, used for the comparison, refuses it).
 */
function originalStyleText(node: Node | null | undefined): string | undefined {
  if (!node || node.nodeType !== 1 || (node as Element).localName !== 'style') return undefined;
  const element = node as HTMLStyleElement;
  const sheet = element.sheet;
  const text = element.textContent ?? '';
  if (!sheet || element.childNodes.length !== 1 || text === '' || /@import/i.test(text)) return undefined;
  try {
    const written = new CSSStyleSheet();
    written.replaceSync(text);
    const serialise = (of: CSSStyleSheet) => Array.from(of.cssRules, (rule) => rule.cssText).join('\n');
    return serialise(written) === serialise(sheet) ? text : undefined;
  } catch {
    return undefined;
  }
}

function assetNodes(events: readonly RecordedEvent[], nodeOf: AssetCaptureOptions['nodeOf']): AssetNode[] {
  const found: AssetNode[] = [];
  const stack: SerializedNode[] = [];
  for (const event of events) {
    const data = event.data as {
      node?: SerializedNode;
      source?: number;
      adds?: { node?: SerializedNode }[];
      attributes?: { id: number; attributes: Record<string, unknown> }[];
    };
    // rrweb: 2 = FullSnapshot; 3 = IncrementalSnapshot with source 0 = Mutation.
    if (event.type === 2 && data.node) stack.push(data.node);
    else if (event.type === 3 && data.source === 0) {
      for (const add of data.adds ?? []) if (add.node) stack.push(add.node);
      // A picture whose src changes later (lazy loading, carousels), or a stylesheet link whose
      // href does (a theme switch): the change has a node's shape.
      for (const change of data.attributes ?? []) {
        const { src, srcset, href } = change.attributes;
        const element = nodeOf(change.id) as Element | null;
        if (
          ((typeof src === 'string' && /^https?:/i.test(src)) || typeof srcset === 'string') &&
          element?.localName === 'img'
        )
          found.push({ node: change, kind: 'image', change: true });
        else if (
          typeof href === 'string' &&
          element?.localName === 'link' &&
          (element as HTMLLinkElement).relList.contains('stylesheet')
        )
          found.push({ node: change, kind: 'stylesheet', change: true });
      }
    }
  }
  while (stack.length > 0) {
    const node = stack.pop()!;
    const attributes = node.attributes;
    if (
      node.tagName === 'link' &&
      typeof attributes?._cssText === 'string' &&
      !attributes._cssText.startsWith(ASSET_REF_PREFIX) &&
      typeof node.id === 'number'
    )
      found.push({ node, kind: 'stylesheet' });
    else if (node.tagName === 'style' && typeof attributes?._cssText === 'string' && typeof node.id === 'number')
      found.push({ node, kind: 'style' });
    // rrweb records `src` absolute; data: URIs are inline already. A picture with `srcset` is
    // captured as the candidate the browser chose (`currentSrc`).
    else if (
      node.tagName === 'img' &&
      ((typeof attributes?.src === 'string' && /^https?:/i.test(attributes.src)) ||
        typeof attributes?.srcset === 'string')
    )
      found.push({ node, kind: 'image' });
    if (Array.isArray(node.childNodes)) stack.push(...node.childNodes);
  }
  return found;
}

export function createAssetCapture(options: AssetCaptureOptions): AssetCapture {
  const base = options.endpoint.replace(/\/+$/, '');
  const scope = `${base} ${options.project}`;
  let stored = storedHashes.get(scope);
  if (!stored) storedHashes.set(scope, (stored = new Set()));
  const known = stored;
  let uploadedBytes = 0;
  const headers = { 'X-Reprise-Project': options.project };

  /** The body of `url` if the page may read it (same origin or CORS) and it is small enough. */
  async function read(url: string, expected: 'css' | 'binary'): Promise<Asset | undefined> {
    let pending = pageAssets.get(url);
    if (!pending) {
      pending = (async () => {
        const response = await options.fetch(url, { credentials: 'same-origin', cache: 'force-cache' });
        if (!response.ok) return undefined;
        const declared = Number(response.headers.get('content-length'));
        if (declared > options.maxAssetBytes) return undefined;
        const served = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? '';
        const type = expected === 'css' ? 'text/css' : ASSET_TYPE.test(served) ? served : TYPE_BY_EXTENSION[extension];
        if (!type) return undefined;
        let bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.byteLength > options.maxAssetBytes) return undefined;
        if (expected === 'css') {
          const text = await rewriteUrls(new TextDecoder().decode(bytes), url);
          bytes = new TextEncoder().encode(text);
        }
        return { hash: await sha256Hex(bytes), bytes, type };
      })().catch(() => undefined);
      pageAssets.set(url, pending);
    }
    return pending;
  }

  /**
   * The stylesheet's url()s: made absolute (the replay's document is elsewhere), and fonts and
   * images the page can read replaced by references to their captured copies.
   */
  async function rewriteUrls(text: string, sheetUrl: string): Promise<string> {
    const replacements = new Map<string, string>();
    for (const [, , raw] of text.matchAll(URL_IN_CSS)) {
      if (!raw || replacements.has(raw) || /^(data:|#)/i.test(raw)) continue;
      let absolute: string;
      try {
        absolute = new URL(raw, sheetUrl).href;
      } catch {
        continue;
      }
      replacements.set(raw, absolute);
      if (!FONT_OR_IMAGE.test(absolute)) continue;
      const asset = await read(absolute, 'binary');
      if (asset && (await ensureStored([asset]))) replacements.set(raw, `${ASSET_REF_PREFIX}${asset.hash}`);
    }
    return text.replace(URL_IN_CSS, (whole, _quote: string, raw: string) => {
      const replacement = replacements.get(raw);
      return replacement === undefined ? whole : `url("${replacement}")`;
    });
  }

  /** Checks and uploads in progress, by hash: a picture named twice at once is sent once. */
  const storing = new Map<string, Promise<boolean>>();

  /** True once every asset is stored at the collector (checked, uploaded where missing). */
  async function ensureStored(assets: Asset[]): Promise<boolean> {
    const waits: Promise<boolean>[] = [];
    const unknown: Asset[] = [];
    for (const asset of assets) {
      if (known.has(asset.hash)) continue;
      const pending = storing.get(asset.hash);
      if (pending) waits.push(pending);
      else if (!unknown.some((other) => other.hash === asset.hash)) unknown.push(asset);
    }
    if (unknown.length > 0) {
      const run = checkAndUpload(unknown);
      for (const asset of unknown) storing.set(asset.hash, run);
      void run.finally(() => {
        for (const asset of unknown) if (storing.get(asset.hash) === run) storing.delete(asset.hash);
      });
      waits.push(run);
    }
    return (await Promise.all(waits)).every(Boolean);
  }

  async function checkAndUpload(unknown: Asset[]): Promise<boolean> {
    try {
      const check = await options.fetch(`${base}/v1/assets/missing`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ hashes: unknown.map((asset) => asset.hash) }),
      });
      if (!check.ok) return false;
      const missing = new Set(((await check.json()) as { missing?: string[] }).missing ?? []);
      for (const asset of unknown) {
        if (missing.has(asset.hash)) {
          if (uploadedBytes + asset.bytes.byteLength > options.maxSessionBytes) return false;
          uploadedBytes += asset.bytes.byteLength;
          const put = await options.fetch(
            `${base}/v1/assets/${asset.hash}?session=${encodeURIComponent(options.sessionId)}`,
            {
              method: 'PUT',
              headers: { ...headers, 'Content-Type': asset.type },
              body: asset.bytes as Uint8Array<ArrayBuffer>,
            },
          );
          if (!put.ok) return false;
        }
        known.add(asset.hash);
      }
      return true;
    } catch (error) {
      options.onError(error);
      return false;
    }
  }

  /** A `<style>`'s original text with its url()s made absolute (and fonts captured), or undefined. */
  async function styleText(id: number, budget: { left: number }): Promise<string | undefined> {
    const node = options.nodeOf(id);
    const length = node?.textContent?.length ?? 0;
    if (length > budget.left) return undefined;
    budget.left -= length;
    const text = originalStyleText(node);
    return text === undefined ? undefined : rewriteUrls(text, node!.baseURI);
  }

  return {
    collect(events) {
      const nodes = assetNodes(events, options.nodeOf);
      if (nodes.length === 0) return undefined;
      const budget = { left: MAX_STYLE_TEXT_PER_CAPTURE };
      return (async () => {
        const captured = await Promise.all(
          nodes.map(async ({ node, kind }): Promise<string | undefined> => {
            if (kind === 'style') return styleText(node.id!, budget);
            const url =
              kind === 'stylesheet' ? linkHref(options.nodeOf(node.id!)) : pictureUrl(node, options.nodeOf(node.id!));
            const asset = url ? await read(url, kind === 'stylesheet' ? 'css' : 'binary') : undefined;
            if (kind === 'image' && asset && !asset.type.startsWith('image/')) return undefined;
            return asset && (await ensureStored([asset])) ? `${ASSET_REF_PREFIX}${asset.hash}` : undefined;
          }),
        );
        return () => {
          nodes.forEach(({ node, kind, change }, i) => {
            const value = captured[i];
            if (value === undefined) return;
            const attributes = node.attributes!;
            if (kind !== 'image') {
              // As rrweb records a link it inlined: the replay reads the sheet's text, fetches nothing.
              attributes._cssText = value;
              if (change) delete attributes.href;
            } else {
              // The captured candidate is the picture: the replay must not choose another one.
              attributes.src = value;
              for (const name of ['srcset', 'sizes']) {
                if (!(name in attributes)) continue;
                if (change) attributes[name] = null;
                else delete attributes[name];
              }
            }
          });
        };
      })();
    },
  };
}

/**
 * The picture an `<img>` shows: with `srcset`, the candidate the browser chose (`currentSrc`,
 * empty until it has chosen), else the recorded `src`. Only http(s): data: pictures are inline already.
 */
function pictureUrl(node: SerializedNode, live: Node | null | undefined): string | undefined {
  const chosen =
    typeof node.attributes?.srcset === 'string' && live && live.nodeType === 1 && (live as Element).localName === 'img'
      ? (live as HTMLImageElement).currentSrc
      : '';
  const url = chosen || node.attributes?.src;
  return typeof url === 'string' && /^https?:/i.test(url) ? url : undefined;
}

/** The URL of a recorded `<link>`: rrweb drops `href` from a stylesheet link it inlined. */
function linkHref(node: Node | null | undefined): string | undefined {
  return node && node.nodeType === 1 && (node as Element).localName === 'link'
    ? (node as HTMLLinkElement).href
    : undefined;
}
