import { urlPath, type ConsoleLevel } from '@reprise/protocol';
import { h } from './dom.js';
import { formatClock, formatDuration, lastIndexAtOrBefore } from './format.js';
import { notRecorded, type ConsoleRow, type NetworkRow } from './markers.js';
import { consoleDetails, eventDetails, networkDetails, type RowDetails } from './row-details.js';
import { MARKER_KIND_LABELS } from './timeline.js';
import type { Marker } from './types.js';

/** Rows rendered per animation frame: a long session has thousands, and playback must stay smooth. */
const ROWS_PER_FRAME = 250;

/**
 * A list of timed rows synced with playback: rows after the current time are dimmed, the current
 * row is highlighted and kept in view, and clicking a row opens it (seeks to it and shows its
 * details). Rows are rendered only while the list is visible, a few hundred per frame.
 */
class SyncedList<Row extends { time: number }> {
  readonly element: HTMLOListElement;
  private rows: Row[] = [];
  /** Rendered rows: `items[i]` shows `rows[i]`; rendering catches up frame by frame. */
  private items: HTMLLIElement[] = [];
  private current = -1;
  private time = 0;
  private visible = false;
  private renderFrame = 0;
  private opened: HTMLLIElement | undefined;

  constructor(
    label: string,
    private readonly renderRow: (row: Row) => HTMLLIElement,
    /** Identity of a row, to recognise a list that only grew; null: always re-render. */
    private readonly key: ((row: Row) => string) | null,
    private readonly open: (row: Row) => void,
    private readonly empty: string,
  ) {
    this.element = h('ol', { class: 'rp-rows', 'aria-label': label });
    // One listener for all rows: cheaper than one per row in a list of thousands.
    this.element.addEventListener('click', (event) => this.openRowOf(event.target));
    this.element.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      this.openRowOf(event.target);
    });
  }

  private openRowOf(target: EventTarget | null): void {
    const item = (target as Element | null)?.closest?.('.rp-row') as HTMLLIElement | null | undefined;
    if (!item) return;
    const row = this.rows[this.items.indexOf(item)];
    if (!row) return;
    this.markOpened(item);
    this.open(row);
  }

  /** The row whose details are shown, marked in the list (`undefined`: none). Returns the one marked before. */
  markOpened(item: HTMLLIElement | undefined): HTMLLIElement | undefined {
    const previous = this.opened;
    previous?.classList.remove('rp-opened');
    this.opened = item;
    item?.classList.add('rp-opened');
    return previous;
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.renderMore();
  }

  /** While a recording streams in, the new list usually extends the old one: keep what is rendered. */
  setRows(rows: Row[], empty = this.empty): void {
    const previous = this.rows;
    const key = this.key;
    const grew =
      key !== null &&
      previous.length > 0 &&
      rows.length >= previous.length &&
      key(previous[0]!) === key(rows[0]!) &&
      key(previous[previous.length - 1]!) === key(rows[previous.length - 1]!);
    this.rows = rows;
    if (!grew) {
      this.items = [];
      this.current = -1;
      this.element.replaceChildren(...(rows.length === 0 ? [h('li', { class: 'rp-empty', text: empty })] : []));
    }
    this.current = Math.min(this.current, this.items.length - 1);
    this.renderMore();
  }

  private renderMore(): void {
    if (!this.visible || this.renderFrame || this.items.length >= this.rows.length) return;
    const added: HTMLLIElement[] = [];
    const end = Math.min(this.rows.length, this.items.length + ROWS_PER_FRAME);
    for (let index = this.items.length; index < end; index += 1) added.push(this.renderItem(this.rows[index]!));
    this.items.push(...added);
    this.element.append(...added);
    this.setTime(this.time, this.items.length - added.length);
    if (this.items.length < this.rows.length) {
      this.renderFrame = requestAnimationFrame(() => {
        this.renderFrame = 0;
        this.renderMore();
      });
    }
  }

  private renderItem(row: Row): HTMLLIElement {
    const item = this.renderRow(row);
    item.tabIndex = 0;
    item.classList.add('rp-row', 'rp-future');
    item.dataset.time = String(Math.round(row.time));
    return item;
  }

  /** Mark the row playing at `time`; `freshFrom`: rendered rows from this index need their classes set. */
  setTime(time: number, freshFrom = Infinity): void {
    this.time = time;
    const next = Math.min(lastIndexAtOrBefore(this.rows, time), this.items.length - 1);
    if (next === this.current && freshFrom >= this.items.length) return;
    const paint = (index: number) => {
      const item = this.items[index];
      if (!item) return;
      item.classList.toggle('rp-future', index > next);
      item.classList.toggle('rp-current', index === next);
      if (index === next) item.setAttribute('aria-current', 'true');
      else item.removeAttribute('aria-current');
    };
    for (let index = Math.max(0, Math.min(next, this.current)); index <= Math.max(next, this.current); index += 1)
      paint(index);
    for (let index = Math.max(0, freshFrom); index < this.items.length; index += 1) paint(index);
    const moved = next !== this.current;
    this.current = next;
    if (moved) this.reveal(this.items[next]);
  }

  /** Keep the current row in view by scrolling the list only (never the page around the player). */
  private reveal(item: HTMLLIElement | undefined): void {
    if (!item || this.element.clientHeight === 0) return;
    const top = item.offsetTop;
    const bottom = top + item.offsetHeight;
    if (top < this.element.scrollTop || bottom > this.element.scrollTop + this.element.clientHeight) {
      this.element.scrollTop = Math.max(0, top - this.element.clientHeight / 2);
    }
  }

  destroy(): void {
    if (this.renderFrame) cancelAnimationFrame(this.renderFrame);
    this.renderFrame = 0;
  }
}

/** Distinguishes the ids of several players on one page. */
let uid = 0;

const CONSOLE_FILTERS: Array<{ value: string; label: string; levels: ConsoleLevel[] | null }> = [
  { value: 'all', label: 'All levels', levels: null },
  { value: 'error', label: 'Errors', levels: ['error', 'assert'] },
  { value: 'warn', label: 'Warnings', levels: ['warn'] },
  { value: 'info', label: 'Info', levels: ['info'] },
  { value: 'log', label: 'Log', levels: ['log', 'trace', 'table', 'dir', 'count', 'timeLog', 'timeEnd', 'group'] },
  { value: 'debug', label: 'Debug', levels: ['debug'] },
];

type TabName = 'console' | 'network' | 'events';

export interface PanelData {
  consoleRows: ConsoleRow[];
  networkRows: NetworkRow[];
  markers: readonly Marker[];
}

/** What a row is found by in the panels' filter. */
const consoleText = (row: ConsoleRow) => `${row.level} ${row.text}`;
const networkText = (row: NetworkRow) =>
  `${row.method} ${row.url} ${row.status} ${row.operation ?? ''} ${row.error ?? ''}`;
const eventText = (marker: Marker) => `${MARKER_KIND_LABELS[marker.kind]} ${marker.label}`;

/** The side panels: console (with a level filter), network (waterfall), events; one text filter for all three. */
export class Panels {
  readonly element: HTMLElement;
  private readonly consoleList: SyncedList<ConsoleRow>;
  private readonly networkList: SyncedList<NetworkRow>;
  private readonly eventsList: SyncedList<Marker>;
  private readonly tabs = new Map<TabName, { button: HTMLButtonElement; panel: HTMLElement; count: HTMLSpanElement }>();
  private readonly levelFilter: HTMLSelectElement;
  /** Keeps the rows of every panel whose text holds it (case-insensitive). */
  private readonly search: HTMLInputElement;
  /** The details of the row last opened, below the lists. */
  private readonly details: HTMLElement;
  private data: PanelData = { consoleRows: [], networkRows: [], markers: [] };
  private networkSpan = { start: 0, length: 1 };

  constructor(seek: (time: number) => void) {
    this.consoleList = new SyncedList(
      'Console messages',
      (row) => this.renderConsoleRow(row),
      (row) => `${row.time}|${row.level}|${row.text}`,
      (row) => this.openRow(seek, row.time, consoleDetails(row)),
      'No console messages',
    );
    // The waterfall bars depend on the span of all requests, so network rows always re-render.
    this.networkList = new SyncedList(
      'Network requests',
      (row) => this.renderNetworkRow(row),
      null,
      (row) => this.openRow(seek, row.time, networkDetails(row)),
      'No requests',
    );
    this.eventsList = new SyncedList(
      'Events',
      (marker) => this.renderEventRow(marker),
      (marker) => `${marker.kind}|${marker.time}|${marker.endTime}|${marker.label}`,
      (marker) => this.openRow(seek, marker.time, eventDetails(marker)),
      'No events yet',
    );

    this.levelFilter = h('select', { class: 'rp-select', 'aria-label': 'Console level' });
    for (const filter of CONSOLE_FILTERS)
      this.levelFilter.append(h('option', { value: filter.value, text: filter.label }));
    this.levelFilter.addEventListener('change', () => this.render());
    this.search = h('input', {
      type: 'search',
      class: 'rp-search',
      placeholder: 'Filter',
      'aria-label': 'Filter rows by text',
    });
    this.search.addEventListener('input', () => {
      // The opened row may be filtered out: its details go with it.
      this.closeDetails();
      this.render();
    });

    const tabList = h('div', { class: 'rp-tabs', role: 'tablist', 'aria-label': 'Session details' });
    const body = h('div', { class: 'rp-panel-body' });
    const panels: Array<[TabName, string, HTMLElement]> = [
      ['console', 'Console', h('div', { class: 'rp-panel-inner' }, this.consoleList.element)],
      ['network', 'Network', h('div', { class: 'rp-panel-inner' }, this.networkList.element)],
      ['events', 'Events', h('div', { class: 'rp-panel-inner' }, this.eventsList.element)],
    ];
    for (const [name, label, content] of panels) {
      const count = h('span', { class: 'rp-tab-count', text: '0' });
      const button = h(
        'button',
        {
          type: 'button',
          class: 'rp-tab',
          role: 'tab',
          id: `rp-tab-${name}-${uid}`,
          'aria-controls': `rp-panel-${name}-${uid}`,
          'data-tab': name,
        },
        label,
        count,
      );
      const panel = h(
        'section',
        {
          class: 'rp-panel',
          role: 'tabpanel',
          id: `rp-panel-${name}-${uid}`,
          'aria-labelledby': button.id,
          'data-panel': name,
        },
        content,
      );
      button.addEventListener('click', () => this.select(name));
      tabList.append(button);
      body.append(panel);
      this.tabs.set(name, { button, panel, count });
    }
    uid += 1;
    tabList.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      event.stopPropagation();
      const names = [...this.tabs.keys()];
      const current = names.findIndex((name) => this.tabs.get(name)!.button.getAttribute('aria-selected') === 'true');
      const next = names[(current + (event.key === 'ArrowRight' ? 1 : names.length - 1)) % names.length]!;
      this.select(next);
      this.tabs.get(next)!.button.focus();
    });
    this.details = h('section', { class: 'rp-details', 'aria-label': 'Details', hidden: true });
    this.details.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      this.closeDetails();
    });
    this.element = h(
      'aside',
      { class: 'rp-panels', 'aria-label': 'Console, network and events' },
      tabList,
      h('div', { class: 'rp-panel-toolbar' }, this.search, this.levelFilter),
      body,
      this.details,
    );
    this.select('console');
  }

  /** A row opened: the replay goes to its moment and the row's details show below the list. */
  private openRow(seek: (time: number) => void, time: number, details: RowDetails): void {
    seek(time);
    const close = h('button', { type: 'button', class: 'rp-details-close', 'aria-label': 'Close details', text: '×' });
    close.addEventListener('click', () => this.closeDetails());
    const sections = details.sections.map(({ heading, text, pairs }) =>
      h(
        'div',
        { class: 'rp-details-section' },
        h('h4', { text: heading }),
        pairs
          ? h('dl', {}, ...pairs.flatMap(([name, value]) => [h('dt', { text: name }), h('dd', { text: value })]))
          : h('pre', { text }),
      ),
    );
    this.details.replaceChildren(
      h('div', { class: 'rp-details-head' }, h('span', { class: 'rp-details-title', text: details.title }), close),
      ...sections,
    );
    this.details.hidden = false;
  }

  closeDetails(): void {
    // Closed from inside (× or Escape): the keyboard goes back to the row they were opened from.
    const hadFocus = this.details.contains(document.activeElement);
    this.details.hidden = true;
    this.details.replaceChildren();
    for (const [, list] of this.lists()) {
      const row = list.markOpened(undefined);
      if (hadFocus && row?.isConnected) row.focus();
    }
  }

  select(name: TabName): void {
    // Details belong to a row of the list they were opened from.
    if (this.details) this.closeDetails();
    for (const [tab, parts] of this.tabs) {
      const selected = tab === name;
      parts.button.setAttribute('aria-selected', String(selected));
      parts.button.tabIndex = selected ? 0 : -1;
      parts.panel.hidden = !selected;
    }
    this.levelFilter.hidden = name !== 'console';
    for (const [tab, list] of this.lists()) list.setVisible(tab === name);
  }

  private lists(): Array<[TabName, SyncedList<never>]> {
    return [
      ['console', this.consoleList],
      ['network', this.networkList],
      ['events', this.eventsList],
    ] as unknown as Array<[TabName, SyncedList<never>]>;
  }

  destroy(): void {
    for (const [, list] of this.lists()) list.destroy();
  }

  setData(data: PanelData): void {
    this.data = data;
    // The waterfall's span is every request's, filtered or not: a bar keeps its place.
    const ends = data.networkRows.map((row) => row.time + Math.max(0, row.duration));
    const start = data.networkRows.length ? Math.min(...data.networkRows.map((row) => row.time)) : 0;
    const end = ends.length ? Math.max(...ends) : 1;
    this.networkSpan = { start, length: Math.max(1, end - start) };
    this.render();
  }

  /** Each list, through the level and text filters; the tab counts stay the whole recording's. */
  private render(): void {
    const { consoleRows, networkRows, markers } = this.data;
    const query = this.search.value.trim();
    const needle = query.toLowerCase();
    const matching = <Row>(rows: readonly Row[], text: (row: Row) => string): Row[] =>
      needle ? rows.filter((row) => text(row).toLowerCase().includes(needle)) : [...rows];
    const empty = needle ? `Nothing matches “${query}”` : undefined;
    const levels = CONSOLE_FILTERS.find((entry) => entry.value === this.levelFilter.value)?.levels ?? null;
    const leveled = levels ? consoleRows.filter((row) => levels.includes(row.level)) : consoleRows;
    this.consoleList.setRows(matching(leveled, consoleText), empty);
    this.networkList.setRows(matching(networkRows, networkText), empty);
    this.eventsList.setRows(matching(markers, eventText), empty);
    this.tabs.get('console')!.count.textContent = String(consoleRows.length);
    this.tabs.get('network')!.count.textContent = String(networkRows.length);
    this.tabs.get('events')!.count.textContent = String(markers.length);
  }

  setTime(time: number): void {
    this.consoleList.setTime(time);
    this.networkList.setTime(time);
    this.eventsList.setTime(time);
  }

  private renderConsoleRow(row: ConsoleRow): HTMLLIElement {
    return h(
      'li',
      { class: `rp-console rp-level-${row.level}`, 'data-level': row.level, title: row.trace },
      h('span', { class: 'rp-row-time', text: formatClock(row.time) }),
      h('span', { class: 'rp-badge', text: row.level }),
      h('span', { class: 'rp-row-text', text: row.text }),
    );
  }

  private renderNetworkRow(row: NetworkRow): HTMLLIElement {
    const path = urlPath(row.url);
    const gap = notRecorded(row.skipped, 'requests');
    const left = ((row.time - this.networkSpan.start) / this.networkSpan.length) * 100;
    const width = Math.max(0.8, (Math.max(0, row.duration) / this.networkSpan.length) * 100);
    const status = row.status === 0 ? (row.error ? 'failed' : '—') : String(row.status);
    return h(
      'li',
      {
        class: `rp-network${row.failed ? ' rp-failed' : ''}`,
        title: [`${row.method} ${row.url}`, row.error, gap].filter(Boolean).join('\n'),
      },
      h('span', { class: 'rp-method', text: row.method }),
      h(
        'span',
        { class: 'rp-row-text rp-request-url' },
        row.operation ? `${path} (${row.operation})` : path,
        gap ? h('span', { class: 'rp-row-note', text: ` ${gap}` }) : null,
      ),
      h('span', { class: 'rp-status', text: status }),
      h('span', { class: 'rp-duration', text: formatDuration(row.duration) }),
      h(
        'span',
        { class: 'rp-waterfall', 'aria-hidden': 'true' },
        h('span', { class: 'rp-waterfall-bar', style: `left:${left}%;width:${width}%` }),
      ),
    );
  }

  private renderEventRow(marker: Marker): HTMLLIElement {
    return h(
      'li',
      { class: `rp-event rp-event--${marker.kind}`, 'data-kind': marker.kind, title: marker.detail },
      h('span', { class: 'rp-row-time', text: formatClock(marker.time) }),
      h('span', { class: `rp-dot rp-marker--${marker.kind}`, 'aria-hidden': 'true' }),
      // "Click at 3, 4" needs no "Click" before it; "Custom event checkout" does.
      h(
        'span',
        { class: 'rp-row-text' },
        marker.label.startsWith(MARKER_KIND_LABELS[marker.kind])
          ? null
          : h('span', { class: 'rp-event-kind', text: `${MARKER_KIND_LABELS[marker.kind]} ` }),
        marker.label,
      ),
    );
  }
}
