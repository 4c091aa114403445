import { createHash } from 'node:crypto';
import { ASSET_NAMESPACE_PREFIX } from '../segment/types.js';
import type { DataKeyService } from '../crypto/data-keys.js';
import { CollectorError } from '../errors.js';
import { decryptSegment, encryptSegment, PayloadEncoding, readSegmentHeader } from '../segment/envelope.js';
import { segmentObjectKey, type SegmentLocation } from '../store/keys.js';
import type { ObjectStore } from '../store/types.js';

/** What a page asset is named by: the lowercase hex SHA-256 of its bytes. */
export const ASSET_HASH = /^[0-9a-f]{64}$/;

/**
 * How far back an asset stored on an earlier day is still found by a check. A session may only
 * refer to an asset that lives at least as long as it does, so a hit on an earlier day is copied
 * into today's namespace by the collector (no upload) and the session refers to that copy.
 */
export const ASSET_LOOKBACK_DAYS = 31;

/** Most hashes one check may name: a page's stylesheets, fonts and images, with room. */
export const MAX_ASSET_CHECK_HASHES = 256;

/**
 * Store lookups one check may cost, whatever it names: a hostile check of 256 new hashes would
 * otherwise cost 256 × 32 lookups. Today's copy of every hash it may name, and a few days back.
 */
export const MAX_ASSET_CHECK_LOOKUPS = MAX_ASSET_CHECK_HASHES + 64;

/** Content types an asset may have: what a page's stylesheets, fonts and images are served as. */
const CONTENT_TYPE =
  /^(text\/css|font\/[a-z0-9.+-]{1,40}|image\/[a-z0-9.+-]{1,40}|application\/(font-woff2?|x-font-[a-z0-9-]{1,20}|vnd\.ms-fontobject|octet-stream))$/;

const DAY_MS = 86_400_000;

export function isAssetContentType(type: string): boolean {
  return CONTENT_TYPE.test(type);
}

export interface StoredAsset {
  contentType: string;
  bytes: Buffer;
}

function dayStamp(at: number): string {
  return new Date(at).toISOString().slice(0, 10).replaceAll('-', '');
}

function location(project: string, at: number, hash: string): SegmentLocation {
  return { project, sessionId: `${ASSET_NAMESPACE_PREFIX}-${dayStamp(at)}`, segment: hash };
}

/** Plaintext of an asset object: u8 content-type length, the ASCII content type, the bytes. */
function encodeAsset(asset: StoredAsset): Buffer {
  const type = Buffer.from(asset.contentType, 'ascii');
  return Buffer.concat([Buffer.from([type.byteLength]), type, asset.bytes]);
}

function decodeAsset(plaintext: Buffer, where: string): StoredAsset {
  const length = plaintext[0] ?? 0;
  const contentType = plaintext.subarray(1, 1 + length).toString('latin1');
  if (length === 0 || !isAssetContentType(contentType)) {
    throw new CollectorError('segment_corrupt', 422, `Asset ${where} has no valid content type: it is damaged.`);
  }
  return { contentType, bytes: plaintext.subarray(1 + length) };
}

/**
 * Content-addressed page assets (stylesheets, fonts, images) per project, encrypted like
 * segments (STORAGE.md "Asset object"). Assets are what a page serves to everyone, not what a
 * user typed: they are shared by every session of the project and never redacted.
 */
export class AssetStore {
  private readonly store: ObjectStore;
  private readonly dataKeys: DataKeyService;
  private readonly now: () => number;
  /** Hashes known stored today, per project: a check repeated by every page load costs no I/O. */
  private readonly known = new Map<string, string>();
  /** Hashes with no copy on any earlier day of the window, per project, as of the day noted. */
  private readonly absentEarlier = new Map<string, string>();
  private readonly knownCapacity = 50_000;

  constructor(deps: { store: ObjectStore; dataKeys: DataKeyService; now?: () => number }) {
    this.store = deps.store;
    this.dataKeys = deps.dataKeys;
    this.now = deps.now ?? Date.now;
  }

  private objectKey(project: string, at: number, hash: string): string {
    return segmentObjectKey({ ...location(project, at, hash), at });
  }

  private rememberAbsent(project: string, hash: string, day: string): void {
    const id = `${project}/${hash}`;
    this.absentEarlier.delete(id);
    this.absentEarlier.set(id, day);
    if (this.absentEarlier.size > this.knownCapacity)
      this.absentEarlier.delete(this.absentEarlier.keys().next().value as string);
  }

  private remember(project: string, hash: string, day: string): void {
    const id = `${project}/${hash}`;
    this.known.delete(id);
    this.known.set(id, day);
    if (this.known.size > this.knownCapacity) this.known.delete(this.known.keys().next().value as string);
  }

  /**
   * The hashes of `hashes` this project does not have today. One found on an earlier day (within
   * ASSET_LOOKBACK_DAYS) is copied into today's namespace here, so it is not uploaded again.
   *
   * The key is public, so a check is hostile input: it costs at most MAX_ASSET_CHECK_LOOKUPS
   * store lookups, whatever it names. Days are searched newest first across all the hashes (a
   * page's assets were mostly stored on the same recent day), and a hash with no copy in the whole
   * window is remembered as such until the day ends. A hash the budget did not reach is answered
   * missing: the recorder uploads it, which is only bytes the session cap already bounds.
   */
  async missing(project: string, hashes: readonly string[]): Promise<string[]> {
    const now = this.now();
    const today = dayStamp(now);
    let lookups = MAX_ASSET_CHECK_LOOKUPS;
    const unresolved: string[] = [];
    const missing: string[] = [];
    for (const hash of new Set(hashes)) {
      const id = `${project}/${hash}`;
      if (this.known.get(id) === today) continue;
      if (lookups <= 0) {
        missing.push(hash);
        continue;
      }
      lookups--;
      if (await this.store.exists(this.objectKey(project, now, hash))) this.remember(project, hash, today);
      else if (this.absentEarlier.get(id) === today) missing.push(hash);
      else unresolved.push(hash);
    }
    let searched = unresolved;
    let exhausted = false;
    for (let back = 1; back <= ASSET_LOOKBACK_DAYS && searched.length > 0 && !exhausted; back++) {
      const at = now - back * DAY_MS;
      const notThere: string[] = [];
      for (const hash of searched) {
        if (lookups <= 0) exhausted = true;
        if (exhausted) {
          notThere.push(hash);
          continue;
        }
        lookups--;
        if (!(await this.store.exists(this.objectKey(project, at, hash)))) {
          notThere.push(hash);
          continue;
        }
        // A damaged or shredded older copy is as good as none: the recorder uploads it again.
        if (!(await this.copyForward(project, hash, at, now).catch(() => false))) missing.push(hash);
      }
      searched = notThere;
    }
    // Searched through the whole window: no copy of these until a page uploads one today.
    if (!exhausted) for (const hash of searched) this.rememberAbsent(project, hash, today);
    return [...missing, ...searched];
  }

  /** Copy the asset stored on the day of `from` into the day of `to`; false when there is none to read. */
  private async copyForward(project: string, hash: string, from: number, to: number): Promise<boolean> {
    const asset = await this.read(project, from, hash);
    if (!asset) return false;
    await this.write(project, to, hash, asset);
    return true;
  }

  /** Store an uploaded asset after checking that its bytes are the ones its hash names. */
  async put(project: string, hash: string, asset: StoredAsset): Promise<void> {
    const actual = createHash('sha256').update(asset.bytes).digest('hex');
    if (actual !== hash) {
      throw new CollectorError(
        'asset_hash_mismatch',
        400,
        `The asset's bytes hash to ${actual}, not to the ${hash} it was sent as; send the SHA-256 of the exact bytes.`,
      );
    }
    await this.write(project, this.now(), hash, asset);
  }

  private async write(project: string, at: number, hash: string, asset: StoredAsset): Promise<void> {
    const where = location(project, at, hash);
    const dataKey = await this.dataKeys.forWriting({ project, sessionId: where.sessionId });
    const object = encryptSegment(encodeAsset(asset), dataKey, where, PayloadEncoding.asset);
    await this.store.put(this.objectKey(project, at, hash), object);
    this.remember(project, hash, dayStamp(at));
  }

  private async read(project: string, at: number, hash: string): Promise<StoredAsset | undefined> {
    const where = location(project, at, hash);
    const object = await this.store.get(this.objectKey(project, at, hash), { maxBytes: 64 * 1024 * 1024 });
    if (!object) return undefined;
    const header = readSegmentHeader(object, `asset ${project}/${hash}`);
    if (header.encoding !== PayloadEncoding.asset) {
      throw new CollectorError('segment_corrupt', 422, `Object for asset ${project}/${hash} is not an asset.`);
    }
    const key = await this.dataKeys.forReading(project, where.sessionId, header.dataKeyId);
    return decodeAsset(decryptSegment(object, key.key, where, header), `${project}/${hash}`);
  }

  /**
   * The asset as a session recorded between `from` and `to` (epoch ms) refers to it: the copy of
   * the first day in that span that has it. Undefined when none has (never uploaded, expired).
   */
  async get(project: string, hash: string, from: number, to: number): Promise<StoredAsset | undefined> {
    if (!ASSET_HASH.test(hash)) return undefined;
    const first = Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth(), new Date(from).getUTCDate());
    for (let at = first; at <= Math.max(to, from); at += DAY_MS) {
      const asset = await this.read(project, at, hash).catch(() => undefined);
      if (asset) return asset;
    }
    return undefined;
  }
}
