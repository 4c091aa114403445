import { EventType, IncrementalSource, type RecordedEvent } from '@reprise/protocol';

/** A picture to draw on a replayed canvas: a recorded frame, or the canvas's content in a snapshot. */
interface Picture {
  bytes: string;
  type: string;
}

interface NodeLike {
  id?: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: NodeLike[];
}

/** The image of a frame recorded by the recorder's `canvas` option (rrweb's frame mode: a drawImage of a WebP blob). */
function frameOf(data: { commands?: unknown }): Picture | undefined {
  if (!Array.isArray(data.commands)) return undefined;
  for (const command of data.commands as Array<{ property?: unknown; args?: unknown[] } | null>) {
    if (command?.property !== 'drawImage') continue;
    const bitmap = command.args?.[0] as { rr_type?: unknown; args?: unknown[] } | undefined;
    const blob = bitmap?.args?.[0] as
      { rr_type?: unknown; type?: unknown; data?: Array<{ base64?: unknown }> } | undefined;
    const base64 = blob?.data?.[0]?.base64;
    if (bitmap?.rr_type === 'ImageBitmap' && blob?.rr_type === 'Blob' && typeof base64 === 'string')
      return { bytes: base64, type: typeof blob.type === 'string' ? blob.type : 'image/webp' };
  }
  return undefined;
}

/** A `data:<type>;base64,<bytes>` URL as a picture. */
function pictureOfDataUrl(url: string): Picture | undefined {
  const match = /^data:([^;,]*);base64,(.*)$/s.exec(url);
  return match ? { type: match[1]!, bytes: match[2]! } : undefined;
}

/**
 * Replays canvases recorded as frames (the recorder's `canvas` option). rrweb draws canvas changes
 * only with `UNSAFE_replayCanvas`, which also lets scripts run in the replay document (its iframe
 * gains `allow-scripts`); the player keeps that off and draws the pictures itself, as an rrweb
 * plugin: at each moment, the last picture of each canvas up to it. A snapshot's canvas content
 * (`rr_dataURL`) is taken out of the snapshot and drawn the same way, in order with the frames:
 * rrweb would draw it when its image loaded, possibly over a later frame.
 */
export class CanvasFrames {
  /** Canvas contents taken out of each prepared snapshot or mutation, by the event rrweb will get. */
  private readonly snapshots = new WeakMap<object, Array<[number, Picture]>>();
  /** Pictures applied since the last draw, by canvas id: only the last one of each is drawn. */
  private readonly pending = new Map<number, Picture>();
  /** Draws started, by canvas id: a decode that finishes after a later one started is dropped. */
  private readonly started = new Map<number, number>();
  private scheduled = false;

  /**
   * Take the canvas contents out of a snapshot or mutation before rrweb sees it. `owned`: the event
   * may be changed in place (else it is copied first, when there is anything to take).
   */
  prepare(event: RecordedEvent, owned: boolean): RecordedEvent {
    const data = event.data as { source?: number; node?: NodeLike; adds?: Array<{ node?: NodeLike }> } | null;
    const roots =
      event.type === EventType.FullSnapshot
        ? [data?.node]
        : event.type === EventType.IncrementalSnapshot && data?.source === IncrementalSource.Mutation
          ? (data.adds ?? []).map((add) => add.node)
          : [];
    if (!roots.some(hasCanvasContent)) return event;
    const copy = owned ? event : structuredClone(event);
    const copied = copy.data as typeof data;
    const taken: Array<[number, Picture]> = [];
    for (const root of copy.type === EventType.FullSnapshot
      ? [copied?.node]
      : (copied?.adds ?? []).map((add) => add.node))
      takeCanvasContent(root, taken);
    this.snapshots.set(copy, taken);
    return copy;
  }

  /** The rrweb plugin. `canvasOf` finds the replayed canvas by recorded id. */
  plugin(canvasOf: (id: number) => HTMLCanvasElement | null) {
    return {
      handler: (event: unknown) => {
        const recorded = event as RecordedEvent;
        const data = recorded.data as { source?: number; id?: number; commands?: unknown };
        for (const [id, picture] of this.snapshots.get(recorded) ?? []) this.pending.set(id, picture);
        if (recorded.type === EventType.IncrementalSnapshot && data.source === IncrementalSource.CanvasMutation) {
          const frame = frameOf(data);
          if (frame && typeof data.id === 'number') this.pending.set(data.id, frame);
        }
        // After rrweb's synchronous work: a seek applies every event up to its moment at once, and
        // builds the canvases only at its end.
        if (this.pending.size > 0 && !this.scheduled) {
          this.scheduled = true;
          setTimeout(() => this.draw(canvasOf), 0);
        }
      },
    };
  }

  private draw(canvasOf: (id: number) => HTMLCanvasElement | null): void {
    this.scheduled = false;
    for (const [id, picture] of this.pending) {
      const canvas = canvasOf(id);
      if (!canvas?.getContext) continue;
      const draw = (this.started.get(id) ?? 0) + 1;
      this.started.set(id, draw);
      let binary: string;
      try {
        binary = atob(picture.bytes);
      } catch {
        // Not base64 (a damaged or hand-made recording): nothing to draw, and the other canvases still are.
        continue;
      }
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      createImageBitmap(new Blob([bytes], { type: picture.type })).then(
        (bitmap) => {
          if (this.started.get(id) !== draw) return;
          const context = canvas.getContext('2d');
          context?.clearRect(0, 0, canvas.width, canvas.height);
          context?.drawImage(bitmap, 0, 0);
        },
        () => {},
      );
    }
    this.pending.clear();
  }
}

// Both walks push children one by one: spreading a long list (a node with 300,000 children) into
// push() exceeds what a call can take and threw.
function hasCanvasContent(root: NodeLike | undefined): boolean {
  const stack = root ? [root] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.tagName === 'canvas' && typeof node.attributes?.rr_dataURL === 'string') return true;
    for (const child of node.childNodes ?? []) stack.push(child);
  }
  return false;
}

function takeCanvasContent(root: NodeLike | undefined, taken: Array<[number, Picture]>): void {
  const stack = root ? [root] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const url = node.tagName === 'canvas' ? node.attributes?.rr_dataURL : undefined;
    if (typeof url === 'string' && typeof node.id === 'number') {
      delete node.attributes!.rr_dataURL;
      const picture = pictureOfDataUrl(url);
      if (picture) taken.push([node.id, picture]);
    }
    for (const child of node.childNodes ?? []) stack.push(child);
  }
}
