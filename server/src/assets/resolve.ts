import { EventType, IncrementalSource, type RecordedEvent, type SerializedNode } from '@reprise/protocol';
import type { AssetStore, StoredAsset } from './asset-store.js';

/** How a recording refers to a captured asset: `reprise-asset:` and the asset's SHA-256 (PROTOCOL.md "Assets"). */
export const ASSET_REF_PREFIX = 'reprise-asset:';
const REF = /^reprise-asset:([0-9a-f]{64})$/;
const REFS_IN_TEXT = /reprise-asset:([0-9a-f]{64})/g;

/** Nodes (and attribute changes, which have the same `attributes` shape) that refer to assets. */
function nodesWithRefs(event: RecordedEvent, found: SerializedNode[]): void {
  const data = event.data as {
    node?: SerializedNode;
    source?: number;
    adds?: { node?: SerializedNode }[];
    attributes?: SerializedNode[];
  };
  const stack: SerializedNode[] = [];
  if (event.type === EventType.FullSnapshot && data.node) stack.push(data.node);
  else if (event.type === EventType.IncrementalSnapshot && data.source === IncrementalSource.Mutation) {
    for (const add of data.adds ?? []) if (add.node) stack.push(add.node);
    for (const change of data.attributes ?? []) if (change && typeof change === 'object') stack.push(change);
  }
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { _cssText: css, src } = node.attributes ?? {};
    if (
      (typeof css === 'string' && css.includes(ASSET_REF_PREFIX)) ||
      (typeof src === 'string' && src.startsWith(ASSET_REF_PREFIX))
    )
      found.push(node);
    if (Array.isArray(node.childNodes)) stack.push(...node.childNodes);
  }
}

/**
 * Puts captured assets back into a session's events for playback, so a replay contacts no one
 * for them: a stylesheet referred to by hash becomes its original text again, and each asset
 * that text refers to (fonts, images) a `data:` URI, as does an `<img>`'s captured `src`. A
 * stylesheet the store does not have leaves the node without `_cssText` (the replay then has the
 * `<link>` as recorded, as before assets); a missing image becomes `about:invalid`. An inline
 * `<style>`'s text, and an `<img>` whose `src` changed later, are resolved the same way.
 * One resolver per playback stream: it keeps what it read for the stream's later snapshots.
 */
export function createAssetResolver(
  assets: AssetStore,
  session: { project: string; startedAt: number; endedAt: number },
): (events: RecordedEvent[]) => Promise<void> {
  const read = new Map<string, Promise<StoredAsset | undefined>>();
  const load = (hash: string) => {
    let pending = read.get(hash);
    if (!pending) {
      pending = assets.get(session.project, hash, session.startedAt, session.endedAt);
      read.set(hash, pending);
    }
    return pending;
  };
  const dataUri = async (hash: string) => {
    const asset = await load(hash);
    return asset ? `data:${asset.contentType};base64,${asset.bytes.toString('base64')}` : undefined;
  };
  /** CSS text with each asset it refers to (fonts, images) as a `data:` URI. */
  const resolveRefsIn = async (text: string) => {
    const inner = new Map<string, string>();
    for (const [, ref] of text.matchAll(REFS_IN_TEXT)) {
      if (inner.has(ref!)) continue;
      // An asset that is gone stays an unresolvable URL: the replay shows the fallback font.
      inner.set(ref!, (await dataUri(ref!)) ?? 'about:invalid');
    }
    return text.replace(REFS_IN_TEXT, (_, ref: string) => inner.get(ref)!);
  };
  const stylesheets = new Map<string, Promise<string | undefined>>();
  const stylesheet = (hash: string) => {
    let pending = stylesheets.get(hash);
    if (!pending) {
      pending = (async () => {
        const css = await load(hash);
        if (!css || css.contentType !== 'text/css') return undefined;
        return resolveRefsIn(css.bytes.toString('utf8'));
      })();
      stylesheets.set(hash, pending);
    }
    return pending;
  };
  return async (events) => {
    const nodes: SerializedNode[] = [];
    for (const event of events) nodesWithRefs(event, nodes);
    for (const node of nodes) {
      const attributes = node.attributes!;
      if (typeof attributes._cssText === 'string' && attributes._cssText.startsWith(ASSET_REF_PREFIX)) {
        const hash = REF.exec(attributes._cssText)?.[1];
        const text = hash ? await stylesheet(hash) : undefined;
        if (text === undefined) delete attributes._cssText;
        else attributes._cssText = text;
      } else if (typeof attributes._cssText === 'string' && attributes._cssText.includes(ASSET_REF_PREFIX)) {
        attributes._cssText = await resolveRefsIn(attributes._cssText);
      }
      if (typeof attributes.src === 'string' && attributes.src.startsWith(ASSET_REF_PREFIX)) {
        const hash = REF.exec(attributes.src)?.[1];
        attributes.src = (hash ? await dataUri(hash) : undefined) ?? 'about:invalid';
      }
    }
  };
}
