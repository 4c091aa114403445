/**
 * Turn arbitrary values (console arguments, rejection reasons, request bodies) into bounded
 * strings. Circular references, deep nesting, huge arrays and hostile getters are all survived;
 * work stops as soon as the length budget is spent, so a giant object costs no more than a small one.
 */

export interface Serialized {
  text: string;
  truncated: boolean;
}

/** Nesting shown before an object is summarised as `[Object]` / `[Array(n)]`. */
export const MAX_SERIALIZE_DEPTH = 4;
/** Keys or items shown per object or array before `…`. */
export const MAX_SERIALIZE_ENTRIES = 50;
export const ELLIPSIS = '…';

interface Budget {
  remaining: number;
  truncated: boolean;
}

/** Cut `text` to `maxLength` characters (the ellipsis included). */
export function truncate(text: string, maxLength: number): Serialized {
  if (text.length <= maxLength) return { text, truncated: false };
  return { text: text.slice(0, Math.max(0, maxLength - 1)) + ELLIPSIS, truncated: true };
}

export function serializeValue(value: unknown, maxLength: number): Serialized {
  if (typeof value === 'string') return truncate(value, maxLength);
  const budget: Budget = { remaining: maxLength, truncated: false };
  let text: string;
  try {
    text = walk(value, 0, [], budget);
  } catch {
    text = '[unserializable]';
  }
  const cut = truncate(text, maxLength);
  return { text: cut.text, truncated: cut.truncated || budget.truncated };
}

function spend(budget: Budget, text: string): string {
  budget.remaining -= text.length;
  return text;
}

function describeNode(node: Node): string {
  if (node.nodeType === 1) {
    const element = node as Element;
    const id = element.id ? `#${element.id}` : '';
    const classes =
      typeof element.className === 'string' && element.className.trim()
        ? `.${element.className.trim().split(/\s+/).join('.')}`
        : '';
    return `<${element.tagName.toLowerCase()}${id}${classes}>`;
  }
  if (node.nodeType === 3) return `#text ${JSON.stringify(node.textContent ?? '')}`;
  if (node.nodeType === 9) return '#document';
  return `#node(${node.nodeName})`;
}

function errorWithStack(error: Error): string {
  const head = `${error.name}: ${error.message}`;
  // V8 and SpiderMonkey differ: V8's stack starts with the head, SpiderMonkey's does not.
  if (typeof error.stack !== 'string' || error.stack.length === 0) return head;
  return error.stack.startsWith(head) ? error.stack : `${head}\n${error.stack}`;
}

function walk(value: unknown, depth: number, ancestors: object[], budget: Budget): string {
  if (budget.remaining <= 0) {
    budget.truncated = true;
    return ELLIPSIS;
  }
  switch (typeof value) {
    case 'string':
      return spend(budget, depth === 0 ? value : JSON.stringify(value));
    case 'number':
    case 'boolean':
      return spend(budget, String(value));
    case 'bigint':
      return spend(budget, `${value}n`);
    case 'undefined':
      return spend(budget, 'undefined');
    case 'symbol':
      return spend(budget, value.toString());
    case 'function':
      return spend(budget, `[Function${value.name ? ` ${value.name}` : ''}]`);
  }
  if (value === null) return spend(budget, 'null');
  const object = value as object;
  if (object instanceof Error) return spend(budget, errorWithStack(object));
  if (object instanceof Date)
    return spend(budget, Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString());
  if (object instanceof RegExp) return spend(budget, String(object));
  if (typeof Node !== 'undefined' && object instanceof Node) return spend(budget, describeNode(object));
  if (ancestors.includes(object)) return spend(budget, '[Circular]');
  if (ArrayBuffer.isView(object)) return spend(budget, `[${object.constructor.name}(${object.byteLength} bytes)]`);
  if (object instanceof ArrayBuffer) return spend(budget, `[ArrayBuffer(${object.byteLength} bytes)]`);

  const isArray = Array.isArray(object);
  const isMap = object instanceof Map;
  const isSet = object instanceof Set;
  if (depth >= MAX_SERIALIZE_DEPTH) {
    if (isArray) return spend(budget, `[Array(${object.length})]`);
    if (isMap) return spend(budget, `[Map(${object.size})]`);
    if (isSet) return spend(budget, `[Set(${object.size})]`);
    return spend(budget, '[Object]');
  }

  ancestors.push(object);
  const parts: string[] = [];
  const add = (part: () => string): boolean => {
    if (parts.length >= MAX_SERIALIZE_ENTRIES || budget.remaining <= 0) {
      budget.truncated = true;
      parts.push(ELLIPSIS);
      return false;
    }
    parts.push(part());
    return true;
  };
  try {
    if (isArray) {
      for (const item of object) if (!add(() => walk(item, depth + 1, ancestors, budget))) break;
      return `[${parts.join(', ')}]`;
    }
    if (isMap) {
      for (const [key, item] of object) {
        if (!add(() => `${walk(key, depth + 1, ancestors, budget)} => ${walk(item, depth + 1, ancestors, budget)}`))
          break;
      }
      return `Map(${object.size}) {${parts.join(', ')}}`;
    }
    if (isSet) {
      for (const item of object) if (!add(() => walk(item, depth + 1, ancestors, budget))) break;
      return `Set(${object.size}) {${parts.join(', ')}}`;
    }
    for (const key of Object.keys(object)) {
      const ok = add(() => {
        let item: unknown;
        try {
          item = (object as Record<string, unknown>)[key];
        } catch {
          item = '[getter threw]';
        }
        return `${spend(budget, JSON.stringify(key))}: ${walk(item, depth + 1, ancestors, budget)}`;
      });
      if (!ok) break;
    }
    return `{${parts.join(', ')}}`;
  } finally {
    ancestors.pop();
  }
}

/** UTF-8 byte length without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** An error's message, or whatever a thrown non-error prints as, for a warning or a RecorderError. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'unknown error';
  }
}
