import { EventType, IncrementalSource, NodeType, type RecordedEvent, type SerializedNode } from '@reprise/protocol';
import { clip } from './format.js';

interface MutationData {
  adds?: Array<{ parentId?: number; nextId?: number | null; node?: SerializedNode }>;
  removes?: Array<{ id?: number }>;
  texts?: Array<{ id?: number; value?: unknown }>;
  attributes?: Array<{ id?: number; attributes?: Record<string, unknown> }>;
}

/** A recording is input: a list that is not one reads as empty. */
function list<T>(value: readonly T[] | undefined): ReadonlyArray<T | null | undefined> {
  return Array.isArray(value) ? value : [];
}

/**
 * What the page held, as far as a click's description needs it. Siblings are linked as in the DOM,
 * so a node goes in before another, or out, without searching its parent's children.
 */
interface DomNode {
  id: number;
  parent?: DomNode;
  first?: DomNode;
  last?: DomNode;
  previous?: DomNode;
  next?: DomNode;
  tag?: string;
  attributes?: Record<string, string>;
  text?: string;
}

/** What a click landed on, as far as the recording says. */
export interface ClickTarget {
  /** `button "Pay now"`, `link "Orders"`, `p "Total"`. */
  text: string;
  /** The control's kind (`button`, `link`, `checkbox`, …), when it lies in one. */
  control?: string;
  /** A link that opens elsewhere (another tab, a download): the page itself is not expected to change. */
  leavesPage?: boolean;
}

/** How far up from the node clicked a control is looked for: a click lands on the icon inside a button. */
const MAX_CLIMB = 8;
/** Nodes read for a control's text at the most: a click on a long list's container must not walk it all. */
const MAX_TEXT_NODES = 200;
const NAME_LIMIT = 48;
/** Elements whose text is not what a person reads. */
const UNREAD_TAGS = new Set(['script', 'style', 'noscript', 'template']);
const CONTROL_ROLES = new Set([
  'button',
  'link',
  'checkbox',
  'radio',
  'switch',
  'tab',
  'menuitem',
  'menuitemcheckbox',
  'menuitemradio',
  'option',
  'combobox',
  'textbox',
  'searchbox',
  'slider',
  'treeitem',
]);
const BUTTON_INPUTS = new Set(['button', 'submit', 'reset', 'image']);
/** Controls whose content is what the person typed or picked: never named by it. */
const TYPED_KINDS = new Set(['field', 'text field', 'textbox', 'searchbox', 'combobox', 'select']);
/** The attributes a description reads; only these are kept, so the recorded events themselves can go. */
const READ_ATTRIBUTES = [
  'role',
  'href',
  'target',
  'download',
  'type',
  'contenteditable',
  'aria-label',
  'value',
  'alt',
  'placeholder',
  'title',
];

/** The attributes a description reads, copied; null (removed in a mutation) and other values dropped. */
function keptAttributes(
  attributes: Record<string, unknown> | undefined,
  into: Record<string, string> = {},
): Record<string, string> {
  if (!attributes || typeof attributes !== 'object') return into;
  for (const name of READ_ATTRIBUTES) {
    if (!(name in attributes)) continue;
    const value = attributes[name];
    if (typeof value === 'string') into[name] = value;
    else delete into[name];
  }
  return into;
}

function attribute(node: DomNode, name: string): string | undefined {
  const value = node.attributes?.[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The kind of control a person would call it by ("button", "link", "checkbox"), or none. */
function controlKind(node: DomNode): string | undefined {
  const role = attribute(node, 'role')?.trim().toLowerCase();
  if (role && CONTROL_ROLES.has(role)) return role;
  // A rich-text editor: its text is what the person wrote.
  const editable = node.attributes?.contenteditable;
  if (editable !== undefined && editable.toLowerCase() !== 'false') return 'text field';
  switch (node.tag) {
    case 'a':
      return node.attributes?.href !== undefined ? 'link' : undefined;
    case 'button':
    case 'select':
    case 'label':
    case 'summary':
      return node.tag;
    case 'textarea':
      return 'text field';
    case 'input': {
      const type = (attribute(node, 'type') ?? 'text').toLowerCase();
      if (BUTTON_INPUTS.has(type)) return 'button';
      if (type === 'checkbox' || type === 'radio') return type;
      return type === 'range' ? 'slider' : 'field';
    }
    default:
      return undefined;
  }
}

function fold(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The recorded page, rebuilt as far as naming a click's target needs: element tags, attributes,
 * text and the tree, kept in step with full snapshots and mutations in the order they were recorded.
 * Only what the recording holds is read, so a masked text names a control as the replay shows it (`***`).
 */
export class RecordedDom {
  private readonly nodes = new Map<number, DomNode>();

  add(event: RecordedEvent): void {
    if (event.type === EventType.FullSnapshot) {
      this.nodes.clear();
      this.insert((event.data as { node?: SerializedNode } | null)?.node, undefined, undefined);
      return;
    }
    const data = event.data as ({ source?: number } & MutationData) | null;
    if (event.type !== EventType.IncrementalSnapshot || data?.source !== IncrementalSource.Mutation) return;
    // rrweb's replayer applies a mutation in this order: removes, adds, texts, attributes.
    for (const removed of list(data.removes)) if (typeof removed?.id === 'number') this.remove(removed.id);
    for (const add of list(data.adds)) if (add) this.insert(add.node, add.parentId, add.nextId ?? undefined);
    for (const change of list(data.texts)) {
      const node = typeof change?.id === 'number' ? this.nodes.get(change.id) : undefined;
      if (node && typeof change!.value === 'string') node.text = change!.value;
    }
    for (const change of list(data.attributes)) {
      const node = typeof change?.id === 'number' ? this.nodes.get(change.id) : undefined;
      if (node) node.attributes = keptAttributes(change!.attributes, { ...node.attributes });
    }
  }

  /**
   * `button "Pay now"`, `link "Orders"`, `field "E-mail"`, `p "Total"`: what the node with this id was, its
   * nearest control if it lies inside one. Undefined when the node is unknown or has nothing short to be called by.
   */
  describe(id: unknown): ClickTarget | undefined {
    let node = typeof id === 'number' ? this.nodes.get(id) : undefined;
    if (node && node.tag === undefined) node = node.parent;
    if (!node?.tag) return undefined;
    let target = node;
    let kind: string | undefined;
    for (let at: DomNode | undefined = node, steps = 0; at && steps <= MAX_CLIMB; at = at.parent, steps++) {
      kind = controlKind(at);
      if (kind) {
        target = at;
        break;
      }
    }
    const name = fold(this.name(target, kind) ?? '');
    if (kind) {
      const leavesPage =
        kind === 'link' &&
        (target.attributes?.download !== undefined ||
          !/^(_self|_top|_parent)?$/i.test(attribute(target, 'target') ?? ''));
      return {
        text: name ? `${kind} "${clip(name, NAME_LIMIT)}"` : kind,
        control: kind,
        ...(leavesPage ? { leavesPage } : {}),
      };
    }
    // Not a control: named only by a short text of its own (a click on a page's body says nothing).
    return name && name.length <= NAME_LIMIT ? { text: `${target.tag} "${name}"` } : undefined;
  }

  private name(node: DomNode, kind: string | undefined): string | undefined {
    const label = attribute(node, 'aria-label');
    if (label) return label;
    // A field's value or text is what was typed (or picked): never its name.
    if (node.tag === 'input' && kind === 'button') return attribute(node, 'value') ?? attribute(node, 'alt');
    if (node.tag === 'input' || (kind && TYPED_KINDS.has(kind)))
      return attribute(node, 'placeholder') ?? attribute(node, 'title');
    if (node.tag === 'img') return attribute(node, 'alt') ?? attribute(node, 'title');
    return this.text(node) || attribute(node, 'title');
  }

  /** The text a person reads inside a node, enough of it to name the node. */
  private text(root: DomNode): string {
    let text = '';
    let visited = 0;
    // Depth first, in document order: a node's children before its next sibling.
    const stack: DomNode[] = root.first ? [root.first] : [];
    while (stack.length > 0 && visited++ < MAX_TEXT_NODES && text.length <= NAME_LIMIT * 2) {
      const node = stack.pop()!;
      if (node.next) stack.push(node.next);
      if (node.text !== undefined) text += ` ${node.text}`;
      else if (node.first && !(node.tag && UNREAD_TAGS.has(node.tag))) stack.push(node.first);
    }
    return text.trim();
  }

  private insert(root: SerializedNode | undefined, parentId: number | undefined, nextId: number | undefined): void {
    if (!root || typeof root.id !== 'number') return;
    const parent = parentId === undefined ? undefined : this.nodes.get(parentId);
    // Added again (moved): out of its former place; it keeps its children unless new ones come with it.
    const former = this.nodes.get(root.id);
    if (former) this.unlink(former);
    const top = this.create(root, former);
    if (parent) this.link(top, parent, nextId === undefined ? undefined : this.nodes.get(nextId));
    const stack = [root];
    while (stack.length > 0) {
      const serialized = stack.pop()!;
      const node = this.nodes.get(serialized.id!)!;
      for (const child of list(serialized.childNodes)) {
        if (typeof child?.id !== 'number') continue;
        this.link(this.create(child, undefined), node, undefined);
        stack.push(child);
      }
    }
  }

  private create(serialized: SerializedNode, former: DomNode | undefined): DomNode {
    const node: DomNode = { id: serialized.id! };
    if (serialized.type === NodeType.Element) {
      node.tag = (serialized.tagName ?? '').toLowerCase();
      const kept = keptAttributes(serialized.attributes);
      if (Object.keys(kept).length > 0) node.attributes = kept;
    } else if (serialized.type === NodeType.Text) {
      // A style's text is CSS, not something a person reads.
      node.text = !serialized.isStyle && typeof serialized.textContent === 'string' ? serialized.textContent : '';
    }
    if (former?.first && list(serialized.childNodes).length === 0) {
      node.first = former.first;
      node.last = former.last;
      for (let child: DomNode | undefined = node.first; child; child = child.next) child.parent = node;
    }
    this.nodes.set(node.id, node);
    return node;
  }

  /** Puts `node` among `parent`'s children: before `next` when that is one of them, else last. */
  private link(node: DomNode, parent: DomNode, next: DomNode | undefined): void {
    node.parent = parent;
    if (next && next.parent === parent) {
      node.previous = next.previous;
      node.next = next;
      if (next.previous) next.previous.next = node;
      else parent.first = node;
      next.previous = node;
      return;
    }
    node.previous = parent.last;
    if (parent.last) parent.last.next = node;
    else parent.first = node;
    parent.last = node;
  }

  private unlink(node: DomNode): void {
    const parent = node.parent;
    if (node.previous) node.previous.next = node.next;
    else if (parent?.first === node) parent.first = node.next;
    if (node.next) node.next.previous = node.previous;
    else if (parent?.last === node) parent.last = node.previous;
    node.parent = node.previous = node.next = undefined;
  }

  private remove(id: number): void {
    const node = this.nodes.get(id);
    if (!node) return;
    this.unlink(node);
    const stack = [node];
    while (stack.length > 0) {
      const gone = stack.pop()!;
      // Each node once: a hostile recording can add a node under its own child.
      if (this.nodes.get(gone.id) !== gone) continue;
      this.nodes.delete(gone.id);
      for (let child = gone.first; child; child = child.next) stack.push(child);
    }
  }
}
