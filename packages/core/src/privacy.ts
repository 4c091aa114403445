import { maskText, type RedactionOptions } from '@reprise/protocol/capture';

/*
 * Privacy defaults (DESIGN.md), all applied in the browser before an event leaves the page:
 * every field value masked, passwords never recorded (not even their length), masked and blocked
 * subtrees, opt-in unmasking, and PII patterns redacted wherever user text lives (`redactEventsInPlace`).
 */

/*
 * The names that mark privacy in a page's markup, the same in every package (framework adapters
 * import them rather than spelling them again).
 */
/** Masks the text of an element's subtree: `<div data-reprise-mask>`. */
export const MASK_ATTRIBUTE = 'data-reprise-mask';
/** Replaces an element's subtree by a same-size placeholder: `<div data-reprise-block>`. */
export const BLOCK_ATTRIBUTE = 'data-reprise-block';
/** Records a field's value as typed (never a password's), unless inside a masked subtree. */
export const UNMASK_ATTRIBUTE = 'data-reprise-unmask';
/** The class form of `MASK_ATTRIBUTE`: `<div class="reprise-mask">`. */
export const MASK_CLASS = 'reprise-mask';
/** The class form of `BLOCK_ATTRIBUTE`: `<div class="reprise-block">`. */
export const BLOCK_CLASS = 'reprise-block';

/** The privacy options with their defaults applied (`resolveOptions` in defaults.ts). */
export interface ResolvedPrivacy {
  maskSelectors: string[];
  blockSelectors: string[];
  unmaskSelectors: string[];
  redact: Required<RedactionOptions>;
}

/** What a password field's value always becomes: fixed, so not even its length is recorded. */
export const PASSWORD_PLACEHOLDER = '********';
/**
 * What every other masked field value becomes: fixed too, since a masked value of the same length
 * tells a lot (which `<select>` option was chosen, a PIN's or a name's length).
 */
export const MASKED_VALUE_PLACEHOLDER = '********';
/**
 * rrweb's own text-mask class, which rrweb honours by default and pages that used rrweb (or a tool
 * built on it) already carry: it is a default mask selector too, so that its subtree gets all of
 * Reprise's masking (text attributes, fields marked unmasked inside it), not only rrweb's text.
 */
export const RRWEB_MASK_SELECTOR = '.rr-mask';
/** Masks contenteditable regions (rich-text editors) by default, like inputs. */
export const CONTENTEDITABLE_SELECTOR = '[contenteditable]:not([contenteditable="false" i])';

/** Input events from these are ignored outright (rrweb marks former password fields with `data-rr-is-password`). */
export const PASSWORD_SELECTOR = 'input[type="password" i], [data-rr-is-password]';

/**
 * rrweb masks a field when either its tag name or its type is listed. Listing the `input` tag
 * masks every input type, including `hidden` and types rrweb's own list misses; buttons,
 * checkboxes and radios keep their (static) values because rrweb never masks those.
 */
export const MASK_ALL_FIELDS = { input: true, textarea: true, select: true, password: true } as const;

export function isPasswordField(element: Element | null | undefined): boolean {
  // localName, not tagName: an XHTML document (served as application/xhtml+xml) keeps tag names lower case.
  if (!element || element.localName !== 'input') return false;
  return (element as HTMLInputElement).type === 'password' || element.hasAttribute('data-rr-is-password');
}

/**
 * `element` or an element around it matches, past shadow roots to their hosts and past same-origin
 * frames to their `<iframe>`: `closest()` stops at either, so a mask (or unmask) on a web
 * component's host or around a frame would not reach its inside. A cross-origin parent's
 * `frameElement` is null, which ends the climb.
 */
export function closestMatches(element: Element, selector: string): boolean {
  try {
    for (let at: Element | null | undefined = element; at;) {
      if (at.closest(selector)) return true;
      const root = at.getRootNode() as Node & { host?: Element; defaultView?: Window | null };
      at = root.host || root.defaultView?.frameElement;
    }
  } catch {
    // An invalid user selector must not unmask anything.
  }
  return false;
}

export interface DomPrivacy {
  /** Not an rrweb option: the unmask selector, for `maskSerializedFields`. */
  unmaskSelector: string;
  maskTextSelector: string;
  blockSelector: string;
  ignoreSelector: string;
  maskInputOptions: typeof MASK_ALL_FIELDS;
  maskInputFn: (text: string, element: HTMLElement | null) => string;
  maskTextFn: (text: string, element: HTMLElement | null) => string;
}

/** rrweb's privacy options built from Reprise's. */
export function domPrivacy(privacy: Omit<ResolvedPrivacy, 'redact'>): DomPrivacy {
  const maskSelector = privacy.maskSelectors.join(',');
  const unmaskSelector = privacy.unmaskSelectors.join(',');
  return {
    unmaskSelector,
    maskTextSelector: maskSelector,
    blockSelector: privacy.blockSelectors.join(','),
    ignoreSelector: PASSWORD_SELECTOR,
    maskInputOptions: MASK_ALL_FIELDS,
    maskInputFn: (text, element) => maskFieldValue(text, element, maskSelector, unmaskSelector),
    maskTextFn: (text) => maskText(text),
  };
}

/** A field's recorded value: passwords a fixed placeholder, unmasked fields as typed, the rest masked. */
export function maskFieldValue(
  text: string,
  element: Element | null,
  maskSelector: string,
  unmaskSelector: string,
): string {
  if (!element) return text ? MASKED_VALUE_PLACEHOLDER : '';
  if (isPasswordField(element)) return text ? PASSWORD_PLACEHOLDER : '';
  if (
    unmaskSelector &&
    closestMatches(element, unmaskSelector) &&
    !(maskSelector && closestMatches(element, maskSelector))
  )
    return text;
  return text ? MASKED_VALUE_PLACEHOLDER : '';
}

/** `data-*` attributes whose names look secret: `data-csrf-token`, `data-api-key`, `data-auth`... */
const SECRET_DATA_ATTRIBUTE = /^data-.*(?:token|key|secret|sig|auth|pass|session|csrf|xsrf|nonce|credential)/i;
/** `<meta name=…>` whose `content` is a secret: `csrf-token`, `csrf-param` values, API keys. */
const SECRET_META_NAME = /token|key|secret|csrf|xsrf|nonce|auth|session|credential/i;

/**
 * Longest `data:` URL an attribute keeps (characters). A picture previewed from a file input
 * (`readAsDataURL`) or drawn with `toDataURL` easily runs to megabytes, which no batch can carry
 * (the collector takes 1 MiB per request, the protocol 2 MiB per string): the whole event, a full
 * snapshot included, would be refused and the replay lost from there.
 */
export const MAX_DATA_URL_LENGTH = 256 * 1024;
/** What a longer `data:` URL becomes: a small grey 4:3 picture, so the replay shows where it was. */
export const OVERSIZED_DATA_URL_PLACEHOLDER =
  "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 4 3'><rect width='4' height='3' fill='%23d1d5db'/></svg>";
const CSS_DATA_URL = /url\(\s*(["']?)data:[^"')]*\1\s*\)/gi;

/** `value` (longer than `MAX_DATA_URL_LENGTH`) with each over-long `data:` URL, itself or in CSS `url()`, replaced. */
function withoutOversizedDataUrls(value: string): string {
  if (value.startsWith('data:')) return OVERSIZED_DATA_URL_PLACEHOLDER;
  return value.replace(CSS_DATA_URL, (url) =>
    url.length > MAX_DATA_URL_LENGTH ? `url("${OVERSIZED_DATA_URL_PLACEHOLDER}")` : url,
  );
}

/**
 * Replace secret-looking attribute values (`data-*token*` / `data-*key*`-like attributes, the
 * `content` of `<meta name="csrf-token">`-like tags, CSP `nonce`s) and a `data:` URL longer than
 * `MAX_DATA_URL_LENGTH`, as the whole value (`src`) or in a CSS `url()` (`style`). Answers whether
 * a non-empty attribute that carries text (`TEXT_ATTRIBUTES`) remains: one pass over the names
 * serves all, since every added node of every mutation comes through here.
 */
export function screenAttributeValues(
  tagName: string | undefined,
  attributes: Record<string, unknown>,
  /** The live element, for a change that carries a meta's `content` but not its unchanged `name`. */
  element?: Pick<Element, 'getAttribute'> | null,
): boolean {
  let carriesText = false;
  for (const name in attributes) {
    const value = attributes[name];
    // rrweb records a change of `style` as its changed properties: { 'background-image': 'url(…)' },
    // or [value, 'important'] for one set with a priority.
    if (name === 'style' && value !== null && typeof value === 'object') {
      const properties = value as Record<string, unknown>;
      for (const property in properties) {
        const css = properties[property];
        const holder = (Array.isArray(css) ? css : properties) as Record<string, unknown>;
        const key = Array.isArray(css) ? 0 : property;
        const text = holder[key];
        if (typeof text === 'string' && text.length > MAX_DATA_URL_LENGTH) holder[key] = withoutOversizedDataUrls(text);
      }
      continue;
    }
    if (typeof value !== 'string' || value === '') continue;
    if (value.length > MAX_DATA_URL_LENGTH) attributes[name] = withoutOversizedDataUrls(value);
    if (name === 'nonce' || (name.startsWith('data-') && SECRET_DATA_ATTRIBUTE.test(name)))
      attributes[name] = MASKED_VALUE_PLACEHOLDER;
    else if (!carriesText && TEXT_ATTRIBUTE_NAMES.has(name)) carriesText = true;
  }
  if (tagName === 'meta' && typeof attributes.content === 'string' && attributes.content !== '') {
    const label = ['name', 'property', 'http-equiv']
      .map((name) => attributes[name] ?? element?.getAttribute(name))
      .join(' ');
    if (SECRET_META_NAME.test(label)) attributes.content = MASKED_VALUE_PLACEHOLDER;
  }
  return carriesText;
}

interface SerializedNodeLike {
  id?: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: unknown[];
}

const FIELD_TAGS = new Set(['input', 'textarea', 'select']);
/** Input types whose `value` is a static label or choice, which rrweb records as is. */
const STATIC_VALUE_TYPES = new Set(['checkbox', 'radio', 'submit', 'button', 'reset', 'image']);

/**
 * Attributes that carry human-readable text. Inside a masked subtree they are masked like the
 * text itself (rrweb masks only text nodes there).
 */
export const TEXT_ATTRIBUTES: readonly string[] = [
  'title',
  'alt',
  'placeholder',
  'aria-label',
  'aria-description',
  'aria-valuetext',
  'label',
  'value',
  // A frame's whole document, as HTML.
  'srcdoc',
];

const TEXT_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(TEXT_ATTRIBUTES);

/** The text attributes (`TEXT_ATTRIBUTES`) of a masked element, masked like its text. */
export function maskTextAttributes(attributes: Record<string, unknown>): void {
  for (const name of TEXT_ATTRIBUTES) {
    const value = attributes[name];
    if (typeof value === 'string' && value) attributes[name] = maskText(value);
  }
}

export interface SerializedPrivacy {
  elementById: (id: number) => Element | null;
  maskSelector: string;
  unmaskSelector: string;
}

/**
 * Finish what rrweb's options leave open, on serialized nodes (a full snapshot, or nodes added by
 * a mutation): (1) a field whose current value is empty keeps its raw `value` attribute in rrweb
 * (a server-rendered prefill the user cleared, say), so every field value goes through the field
 * rule again (already masked values come out unchanged); (2) text attributes inside a masked
 * subtree are masked.
 */
export function protectSerializedNodes(root: unknown, privacy: SerializedPrivacy): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as SerializedNodeLike | null | undefined;
    if (!node || typeof node !== 'object') continue;
    const attributes = node.attributes;
    if (node.tagName && attributes) {
      const carriesText = screenAttributeValues(node.tagName, attributes);
      let element: Element | null | undefined;
      const lookup = () =>
        element === undefined ? (element = typeof node.id === 'number' ? privacy.elementById(node.id) : null) : element;
      const value = attributes.value;
      if (FIELD_TAGS.has(node.tagName) && typeof value === 'string' && value) {
        const type = typeof attributes.type === 'string' ? attributes.type.toLowerCase() : '';
        if (node.tagName !== 'input' || !STATIC_VALUE_TYPES.has(type)) {
          attributes.value = maskFieldValue(value, lookup(), privacy.maskSelector, privacy.unmaskSelector);
        }
      }
      if (privacy.maskSelector && carriesText) {
        const target = lookup();
        if (target && closestMatches(target, privacy.maskSelector)) maskTextAttributes(attributes);
      }
    }
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
}

/** Attribute changes (rrweb mutation `attributes`): secret-looking ones masked, and text attributes inside a masked subtree. */
export function protectAttributeChanges(
  changes: ReadonlyArray<{ id: number; attributes: Record<string, unknown> }>,
  privacy: SerializedPrivacy,
): void {
  for (const { id, attributes } of changes) {
    // The element only where a rule needs it (most changes are a class or a style): a meta's new
    // content, or text attributes that a masked subtree would hide.
    const element = attributes.content ? privacy.elementById(id) : undefined;
    if (!screenAttributeValues(element?.tagName.toLowerCase(), attributes, element) || !privacy.maskSelector) continue;
    const target = element ?? privacy.elementById(id);
    if (target && closestMatches(target, privacy.maskSelector)) maskTextAttributes(attributes);
  }
}
