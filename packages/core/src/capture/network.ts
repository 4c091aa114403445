import type { NetworkPayload } from '@reprise/protocol';
import type { ResolvedNetwork } from '../defaults.js';
import { runTeardowns, type CaptureContext, type Teardown } from './context.js';
import { graphqlOperation } from './graphql.js';
import { listen, patchMethod } from './patch.js';
import { observeResourceTimings, type ResourceTimings } from './resource-timing.js';
import { describeError, truncate, utf8Length } from './serialize.js';

/*
 * fetch and XMLHttpRequest: method, URL, status, timing and sizes always (and a GraphQL request's
 * operation, graphql.ts); headers and bodies only
 * when the options allow them, and never Authorization, Cookie or Set-Cookie. Requests to the
 * collector itself (and `ignoreUrls`) are not recorded, so delivery never records itself. Of the
 * page's own resources (images, scripts, stylesheets, media), the ones that fail to load.
 */

/** Never recorded, whatever the allow-list says. */
export const ALWAYS_DROPPED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
];
/**
 * Header names that carry credentials by convention, also never recorded: `*-token`, `*-key`,
 * `*-secret`, `*-signature`, `*-session`, `*-auth`, `*-password`, `*-credential(s)` (also in the
 * middle: `x-auth-token`), every
 * `x-api-*` and `x-amz-*` (`x-api-key`, `x-auth-token`, `x-amz-security-token`, `x-csrf-token`).
 */
export const SECRET_HEADER_PATTERN =
  /(?:^|-)(?:token|key|secret|signature|session|auth|authorization|authentication|password|credentials?)(?:-|$)|^x-api-|^x-amz-/i;

/** Keep the headers the options allow; the always-dropped and secret-named ones go whatever the allow-list says. */
export function filterHeaders(
  entries: Iterable<[string, string]>,
  allow: boolean | readonly string[],
): Record<string, string> | undefined {
  if (allow === false) return undefined;
  const allowed = allow === true ? undefined : new Set(allow.map((name) => name.toLowerCase()));
  const out: Record<string, string> = {};
  let any = false;
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (ALWAYS_DROPPED_HEADERS.includes(name) || SECRET_HEADER_PATTERN.test(name)) continue;
    if (allowed && !allowed.has(name)) continue;
    out[name] = name in out ? `${out[name]}, ${value}` : value;
    any = true;
  }
  return any ? out : undefined;
}

/** Parse `getAllResponseHeaders()` ("name: value\r\n" lines). */
export function parseRawHeaders(raw: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const line of raw.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    entries.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return entries;
}

/** True when `url` must not be recorded: under the collector endpoint or matching `ignoreUrls`. */
export function isIgnoredUrl(
  url: string,
  endpoint: string | undefined,
  ignoreUrls: ReadonlyArray<string | RegExp>,
): boolean {
  if (endpoint && (url === endpoint || url.startsWith(`${endpoint}/`) || url.startsWith(`${endpoint}?`))) return true;
  return ignoreUrls.some((rule) => (typeof rule === 'string' ? url.includes(rule) : rule.test(url)));
}

/** Content types whose bodies are text and worth recording. */
export function isTextContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  return /^text\/|[/+](json|xml|javascript|x-www-form-urlencoded|graphql)\b/i.test(contentType);
}

type BodyLike = Document | XMLHttpRequestBodyInit | ReadableStream | null | undefined;

/** Request body: its size when it can be known cheaply, and its text when it is text. */
export function describeBody(body: BodyLike): { size?: number; text?: string } {
  if (body === null || body === undefined) return {};
  if (typeof body === 'string') return { size: utf8Length(body), text: body };
  if (body instanceof URLSearchParams) {
    const text = body.toString();
    return { size: utf8Length(text), text };
  }
  if (typeof Blob !== 'undefined' && body instanceof Blob)
    return { size: body.size, text: `[Blob ${body.size} bytes]` };
  if (body instanceof ArrayBuffer) return { size: body.byteLength, text: `[ArrayBuffer ${body.byteLength} bytes]` };
  if (ArrayBuffer.isView(body))
    return { size: body.byteLength, text: `[${body.constructor.name} ${body.byteLength} bytes]` };
  if (typeof FormData !== 'undefined' && body instanceof FormData) return { text: '[FormData]' };
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return { text: '[ReadableStream]' };
  if (typeof Document !== 'undefined' && body instanceof Document) return { text: '[Document]' };
  return {};
}

function absoluteUrl(url: string | URL, base: string): string {
  try {
    return new URL(String(url), base).href;
  } catch {
    return String(url);
  }
}

function contentLength(value: string | null): number | undefined {
  if (value === null) return undefined;
  const length = Number(value);
  return Number.isFinite(length) && length >= 0 ? length : undefined;
}

/**
 * Read a cloned body: its text when `decode` (at most about `maxLength` characters), and, with
 * `toEnd`, its byte size (else reading stops once the text is long enough). Gives up after
 * `timeoutMs` (streams may never end) with the text so far and no size.
 */
async function readBody(
  body: ReadableStream<Uint8Array> | null,
  decode: boolean,
  maxLength: number,
  timeoutMs: number,
  toEnd: boolean,
): Promise<{ text?: string; size?: number }> {
  const reader = body?.getReader();
  if (!reader) return {};
  const decoder = decode ? new TextDecoder() : undefined;
  let text = '';
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    while (toEnd || text.length <= maxLength) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout') return decoder ? { text } : {};
      if (next.done) {
        if (decoder) text += decoder.decode();
        return decoder ? { text, size } : { size };
      }
      size += next.value.byteLength;
      // Decode only what can be recorded; the rest is counted.
      if (decoder && text.length <= maxLength) text += decoder.decode(next.value, { stream: true });
    }
    return { text };
  } finally {
    clearTimeout(timer);
    // Stop downloading our copy; the page's own copy is untouched.
    reader.cancel().catch(() => {});
  }
}

/**
 * The body of a `Request` passed to fetch without an `init.body` of its own: its byte size, and its
 * text when `captureText` and its Content-Type is text. Read from a clone made before fetch takes
 * the original: cloning tees the body, so the page's request is sent exactly as it was.
 */
async function describeRequestBody(
  clone: Request,
  captureText: boolean,
  maxLength: number,
  timeoutMs: number,
): Promise<{ size?: number; text?: string }> {
  const decode = captureText && isTextContentType(clone.headers.get('content-type'));
  const { text, size } = await readBody(clone.body, decode, maxLength, timeoutMs, true);
  return decode || size === undefined ? { text, size } : { size, text: `[Request body ${size} bytes]` };
}

interface NetworkCaptureContext {
  context: CaptureContext;
  options: ResolvedNetwork;
  endpoint: string | undefined;
  target: Window;
  timings: ResourceTimings;
}

function finishPayload(
  payload: NetworkPayload,
  options: ResolvedNetwork,
  extra: { requestText?: string; responseText?: string },
): NetworkPayload {
  const operation = graphqlOperation(extra.requestText, payload.url);
  if (operation) payload.operation = operation;
  if (options.captureBodies) {
    if (extra.requestText !== undefined) payload.requestBody = truncate(extra.requestText, options.maxBodyLength).text;
    if (extra.responseText !== undefined)
      payload.responseBody = truncate(extra.responseText, options.maxBodyLength).text;
  }
  return payload;
}

function startFetchCapture({ context, options, endpoint, target, timings }: NetworkCaptureContext): Teardown {
  if (typeof target.fetch !== 'function') return () => {};
  const refused = (error: unknown) => context.reportError(error, 'capturing fetch');
  return patchMethod(target, 'fetch', refused, (original, thisArg, args) => {
    let method = 'GET';
    let url = '';
    let requestHeaders: Headers | undefined;
    let body: BodyLike;
    let bodyRequest: Request | undefined;
    try {
      const [input, init] = args as Parameters<typeof fetch>;
      const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
      url = absoluteUrl(request ? request.url : (input as string | URL), target.location.href);
      method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
      if (options.captureHeaders) requestHeaders = new Headers(init?.headers ?? request?.headers);
      body = init?.body;
      // `fetch(new Request(url, { body }))`: the body is the Request's (unless init gives one).
      if (request && init?.body === undefined && request.body !== null && !request.bodyUsed) bodyRequest = request;
    } catch {
      // Let fetch itself report malformed arguments.
    }
    if (!url || isIgnoredUrl(url, endpoint, options.ignoreUrls)) return original.apply(thisArg, args);

    // Cloned before fetch takes the Request's body: afterwards it could no longer be read.
    let requestBody: Promise<{ size?: number; text?: string }> | undefined;
    try {
      if (bodyRequest)
        requestBody = describeRequestBody(
          bodyRequest.clone(),
          options.captureBodies,
          options.maxBodyLength,
          options.bodyTimeoutMs,
        );
    } catch {
      requestBody = undefined; // a Request that cannot be cloned: recorded without its body
    }
    const startTime = Date.now();
    const started = performance.now();
    const timing = timings.expect(url, started);
    const promise = original.apply(thisArg, args) as Promise<Response>;
    let request = describeBody(body);
    const readRequestBody = async () => {
      if (requestBody) request = await requestBody.catch(() => ({}));
    };
    const base = (): NetworkPayload => {
      const payload: NetworkPayload = { initiator: 'fetch', method, url, status: 0, startTime, duration: 0 };
      if (request.size !== undefined) payload.requestSize = request.size;
      const headers = requestHeaders && filterHeaders(requestHeaders, options.captureHeaders);
      if (headers) payload.requestHeaders = headers;
      return payload;
    };
    promise.then(
      async (response) => {
        try {
          // A clone, so the page reads its body exactly as without us; made at once, before the
          // page's own handlers (registered after ours) can read the body.
          const responseTextRead =
            options.captureBodies && isTextContentType(response.headers.get('content-type'))
              ? readBody(response.clone().body, true, options.maxBodyLength, options.bodyTimeoutMs, false)
              : undefined;
          await readRequestBody();
          const payload = base();
          payload.status = response.status;
          const size = contentLength(response.headers.get('content-length'));
          if (size !== undefined) payload.responseSize = size;
          const headers = filterHeaders(response.headers, options.captureHeaders);
          if (headers) payload.responseHeaders = headers;
          const responseText = (await responseTextRead)?.text;
          // The browser's entry arrives once the body is in: duration to the last byte, and the
          // size when no Content-Length said it. Without one, time to the response headers.
          const measured = await timing;
          payload.duration = measured ? measured.duration : Math.round(performance.now() - started);
          if (payload.responseSize === undefined && measured?.encodedBodySize)
            payload.responseSize = measured.encodedBodySize;
          context.emit('network', finishPayload(payload, options, { requestText: request.text, responseText }));
        } catch (error) {
          context.reportError(error, 'recording a fetch response');
        }
      },
      async (error: unknown) => {
        try {
          const duration = Math.round(performance.now() - started);
          await readRequestBody();
          const payload = base();
          payload.duration = duration;
          payload.error = describeError(error);
          context.emit('network', finishPayload(payload, options, { requestText: request.text }));
        } catch (failure) {
          context.reportError(failure, 'recording a failed fetch');
        }
      },
    );
    return promise;
  });
}

interface XhrState {
  method: string;
  url: string;
  headers: Array<[string, string]>;
}

function xhrResponseSize(xhr: XMLHttpRequest): number | undefined {
  const declared = contentLength(xhr.getResponseHeader('content-length'));
  if (declared !== undefined) return declared;
  switch (xhr.responseType) {
    case '':
    case 'text':
      return utf8Length(xhr.responseText);
    case 'arraybuffer':
      return (xhr.response as ArrayBuffer | null)?.byteLength;
    case 'blob':
      return (xhr.response as Blob | null)?.size;
    default:
      return undefined;
  }
}

function xhrResponseText(xhr: XMLHttpRequest): string | undefined {
  if (!isTextContentType(xhr.getResponseHeader('content-type'))) return undefined;
  if (xhr.responseType === '' || xhr.responseType === 'text') return xhr.responseText;
  if (xhr.responseType === 'json') {
    try {
      return JSON.stringify(xhr.response);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function startXhrCapture({ context, options, endpoint, target }: NetworkCaptureContext): Teardown {
  const Xhr = (target as Window & { XMLHttpRequest?: typeof XMLHttpRequest }).XMLHttpRequest;
  if (!Xhr) return () => {};
  const proto = Xhr.prototype;
  const states = new WeakMap<XMLHttpRequest, XhrState>();
  /** Listeners on requests still in flight, removed on teardown so nothing fires after stop(). */
  const inFlight = new Map<XMLHttpRequest, () => void>();

  const refused = (method: string) => (error: unknown) =>
    context.reportError(error, `capturing XMLHttpRequest.prototype.${method}`);
  const teardowns: Teardown[] = [
    patchMethod(proto, 'open', refused('open'), (original, xhr: XMLHttpRequest, args) => {
      try {
        const [method, url] = args as [string, string | URL];
        states.set(xhr, {
          method: String(method).toUpperCase(),
          url: absoluteUrl(url, target.location.href),
          headers: [],
        });
      } catch {
        states.delete(xhr);
      }
      return original.apply(xhr, args);
    }),
    patchMethod(proto, 'setRequestHeader', refused('setRequestHeader'), (original, xhr: XMLHttpRequest, args) => {
      const result = original.apply(xhr, args);
      states.get(xhr)?.headers.push([String(args[0]), String(args[1])]);
      return result;
    }),
    patchMethod(proto, 'send', refused('send'), (original, xhr: XMLHttpRequest, args) => {
      const state = states.get(xhr);
      if (state && !isIgnoredUrl(state.url, endpoint, options.ignoreUrls)) {
        const startTime = Date.now();
        const started = performance.now();
        const request = describeBody(args[0] as BodyLike);
        let failure: string | undefined;
        const onFailure = (event: Event) => {
          failure = event.type === 'abort' ? 'aborted' : event.type === 'timeout' ? 'timeout' : 'network error';
        };
        const onLoadEnd = () => {
          cleanup();
          try {
            const payload: NetworkPayload = {
              initiator: 'xhr',
              method: state.method,
              url: state.url,
              status: xhr.status,
              startTime,
              duration: Math.round(performance.now() - started),
            };
            if (request.size !== undefined) payload.requestSize = request.size;
            const responseSize = xhr.status ? xhrResponseSize(xhr) : undefined;
            if (responseSize !== undefined) payload.responseSize = responseSize;
            const requestHeaders = filterHeaders(state.headers, options.captureHeaders);
            if (requestHeaders) payload.requestHeaders = requestHeaders;
            const responseHeaders = options.captureHeaders
              ? filterHeaders(parseRawHeaders(xhr.getAllResponseHeaders()), options.captureHeaders)
              : undefined;
            if (responseHeaders) payload.responseHeaders = responseHeaders;
            if (xhr.status === 0) payload.error = failure ?? 'network error';
            const responseText = options.captureBodies && xhr.status ? xhrResponseText(xhr) : undefined;
            context.emit('network', finishPayload(payload, options, { requestText: request.text, responseText }));
          } catch (error) {
            context.reportError(error, 'recording an XMLHttpRequest');
          }
        };
        const cleanup = () => {
          inFlight.delete(xhr);
          xhr.removeEventListener('loadend', onLoadEnd);
          xhr.removeEventListener('error', onFailure);
          xhr.removeEventListener('abort', onFailure);
          xhr.removeEventListener('timeout', onFailure);
        };
        xhr.addEventListener('error', onFailure);
        xhr.addEventListener('abort', onFailure);
        xhr.addEventListener('timeout', onFailure);
        xhr.addEventListener('loadend', onLoadEnd);
        inFlight.set(xhr, cleanup);
      }
      return original.apply(xhr, args);
    }),
    () => {
      for (const cleanup of [...inFlight.values()]) cleanup();
    },
  ];
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring XMLHttpRequest'));
}

/** A resource that keeps failing is recorded at most once per this many ms. */
export const RESOURCE_ERROR_REPEAT_MS = 1000;
const RESOURCE_ERROR_URLS_REMEMBERED = 256;

/** The address an element that failed to load was loading. */
function resourceUrl(element: Element): string | undefined {
  if (element instanceof HTMLImageElement || element instanceof HTMLMediaElement)
    return element.currentSrc || element.src || undefined;
  if (element instanceof HTMLScriptElement || element instanceof HTMLSourceElement) return element.src || undefined;
  if (element instanceof HTMLLinkElement) return element.href || undefined;
  return undefined;
}

/**
 * A resource of the page that did not load (`error` does not bubble, so it is heard in the capture
 * phase): a broken image or a missing script is what a replay of "the page looked wrong" needs.
 * Its status and duration come from the browser's Resource Timing entry when there is one (a 404,
 * say); without one (no response at all), status 0. `error` says it failed whatever the status.
 */
function startResourceErrorCapture({ context, options, endpoint, target }: NetworkCaptureContext): Teardown {
  // A page whose `onerror` sets the same missing source again fails in a loop: record it once a
  // second, not once a failure (a bounded map, cleared when full).
  const lastRecordedAt = new Map<string, number>();
  const onError = (event: Event) => {
    const element = event.target;
    if (!(element instanceof Element)) return;
    try {
      const url = resourceUrl(element);
      // A data: URL is no request (and can be long).
      if (!url || url.startsWith('data:') || isIgnoredUrl(url, endpoint, options.ignoreUrls)) return;
      const now = Date.now();
      if (now - (lastRecordedAt.get(url) ?? -Infinity) < RESOURCE_ERROR_REPEAT_MS) return;
      if (lastRecordedAt.size >= RESOURCE_ERROR_URLS_REMEMBERED) lastRecordedAt.clear();
      lastRecordedAt.set(url, now);
      const entry = target.performance?.getEntriesByName(url, 'resource').at(-1) as
        (PerformanceResourceTiming & { responseStatus?: number }) | undefined;
      const status = entry?.responseStatus ?? 0;
      const payload: NetworkPayload = {
        initiator: 'resource',
        method: 'GET',
        url,
        status,
        startTime: entry ? Math.round(target.performance.timeOrigin + entry.startTime) : now,
        duration: entry ? Math.max(0, Math.round(entry.duration)) : 0,
        // Also with a 200: a picture that does not decode, a script or stylesheet the browser refused.
        error: `the <${element.localName}> did not load`,
      };
      context.emit('network', payload);
    } catch (error) {
      context.reportError(error, 'recording a resource that did not load');
    }
  };
  const teardowns = [listen(target, 'error', onError, { capture: true }), hearShadowRoots(target, onError, context)];
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring Element.attachShadow'));
}

/**
 * A resource inside a shadow root fails there: its `error` event is not composed, so it never
 * reaches the window. `onError` also listens on every shadow root: the open ones already on the
 * page, and each one attached from now on (open or closed). Roots are not held: after the
 * teardown, what stays on one is a listener that does nothing and keeps no part of the recorder
 * alive (only this function's few closures).
 */
function hearShadowRoots(
  target: Window,
  onError: (event: Event) => void,
  context: Pick<CaptureContext, 'reportError'>,
): Teardown {
  const ElementClass = (target as Window & { Element?: typeof Element }).Element;
  if (!ElementClass?.prototype.attachShadow) return () => {};
  let heard: ((event: Event) => void) | undefined = onError;
  const hear = (root: ShadowRoot) => root.addEventListener('error', (event) => heard?.(event), true);
  // The browser's own getter: a component may override `shadowRoot` on itself (to hide its root,
  // or with a getter that throws), which would hide its root or stop the scan.
  const nativeShadowRoot = Object.getOwnPropertyDescriptor(ElementClass.prototype, 'shadowRoot')?.get;
  const shadowRootOf = (element: Element): ShadowRoot | null => {
    try {
      return (nativeShadowRoot ? nativeShadowRoot.call(element) : element.shadowRoot) as ShadowRoot | null;
    } catch {
      return null;
    }
  };
  const hearWithin = (root: Node) => {
    // A tree walker: on a page of 10,000 elements about 0.5 ms, where iterating
    // querySelectorAll('*') took 2 to 18 ms (Chromium).
    const walker = target.document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const shadowRoot = shadowRootOf(node as Element);
      if (!shadowRoot) continue;
      hear(shadowRoot);
      hearWithin(shadowRoot);
    }
  };
  const refused = (error: unknown) => context.reportError(error, 'capturing Element.prototype.attachShadow');
  const unpatch = patchMethod(ElementClass.prototype, 'attachShadow', refused, (original, element, args) => {
    const root = original.apply(element, args) as ShadowRoot;
    hear(root);
    return root;
  });
  try {
    hearWithin(target.document);
  } catch (error) {
    // The roots found so far are heard; the recording goes on without the rest.
    context.reportError(error, 'finding the shadow roots already on the page');
  }
  return () => {
    heard = undefined;
    unpatch();
  };
}

/** fetch and XMLHttpRequest capture, and failed resources; the teardown restores both exactly. */
export function startNetworkCapture(
  context: CaptureContext,
  options: ResolvedNetwork,
  endpoint: string | undefined,
  target: Window,
): Teardown {
  const timings = observeResourceTimings();
  // Requests are compared as absolute URLs: a relative endpoint (a proxy on the page's origin) too.
  const collector =
    endpoint === undefined ? undefined : absoluteUrl(endpoint, target.location.href).replace(/\/+$/, '');
  const capture = { context, options, endpoint: collector, target, timings };
  const teardowns = [
    () => timings.disconnect(),
    startFetchCapture(capture),
    startXhrCapture(capture),
    startResourceErrorCapture(capture),
  ];
  return () => runTeardowns(teardowns, (error) => context.reportError(error, 'restoring network APIs'));
}
