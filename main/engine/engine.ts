import { createBackup, type BackupResult } from '../backup/archive.js';
import { decodeImage, type RgbImage } from '../photo/image.js';
import type { Box } from '../detect/types.js';
import { cropJpeg, deleteCrop, purgeExpiredCrops, readCrop, storeCrop } from '../privacy/crops.js';
import type { KeySource } from '../privacy/key-file.js';
import { unlockDataFolder, type MasterKey } from '../privacy/keys.js';
import { resolveThresholds, decideBand, type Thresholds } from '../decide/bands.js';
import { mergeUnknownFragments, type MergeResult } from '../decide/merge-unknowns.js';
import { VigilError, describeError } from '../errors.js';
import { loadManifest, modelById, packByName, type ModelEntry } from '../catalogue/manifest.js';
import type { MiniFasNetLiveness } from '../liveness/minifasnet.js';
import { loadLiveness, loadModels, type LoadedModels } from '../zoo/zoo.js';
import { centroid, dot } from '../match/similarity.js';
import { ENROLL_GATE, gateFailure, subjectCandidates } from '../quality/quality.js';
import type { AuditEntry } from '../store/audit.js';
import { SqliteAuditLog } from '../store/audit.js';
import { dropLegacyKeyMeta } from '../store/config.js';
import { LiveSettings } from '../settings/live-settings.js';
import { unlockAuditKey } from '../privacy/audit-key.js';
import { newMemberId, type NewMember } from '../store/members.js';
import { createDataFolder, openDatabase } from '../store/open.js';
import { newUnknownId } from '../store/unknowns.js';
import type { PostgresLocation } from '../store/locator.js';
import { Store } from '../store/store.js';
import { unlockSharedStore } from '../privacy/shared-keys.js';
import { VectorStore } from '../store/vectors.js';
import { analyseImage, largestFace, type AnalysedFace } from './analyze.js';

export interface EngineOptions {
  dataDir: string;
  pack?: string;
  /**
   * Headless mode: the passphrase that locks the data folder (store and crops). A folder created
   * with one never opens without it; without one (and no masterKey) a generated device.key is used.
   */
  passphrase?: string;
  /** A ready 32-byte master key (the desktop keeps one in the OS key store); wins over passphrase. */
  masterKey?: Buffer;
  /**
   * Default true: the store is encrypted with the folder's database key (a plaintext one in
   * place). False keeps a plaintext store plaintext, for tests that inspect raw files.
   */
  encryptStore?: boolean;
  /** Who acts, for the audit log. */
  actor?: string;
  /**
   * The shared PostgreSQL store (`--store URL`); absent: the data folder's embedded store. With a
   * shared store the data folder keeps only this machine's own files (logs, models, buffers).
   */
  store?: PostgresLocation;
}

export type EnrollPhoto = string | { label: string; data: Uint8Array };

export interface EnrollResult {
  member_id: string;
  embeddings_count: number;
  quality_score: number;
  rejected: { photo: string; reason: string }[];
  warnings: string[];
}

export interface IdentifiedFace {
  bbox: [number, number, number, number];
  type: 'known_member' | 'recurring_unknown' | 'new_unknown';
  member_id?: string;
  unknown_id?: string;
  name: string;
  confidence: number;
  candidates: { member_id: string; name: string; similarity: number }[];
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/**
 * Enrollment photos are one person by the operator's word; the check only catches a wrong photo.
 * At the unknown threshold itself it rejected 1 in 30 genuine CelebA photos (bench:accuracy), while
 * a stranger's face scores near 0 against one person's centroid: a bar at 60 % of it keeps both.
 */
const SAME_PERSON_FRACTION = 0.6;

/** The recognition engine over one data folder: models, store and the decisions between them. */
export class Engine {
  private models: LoadedModels | undefined;
  private livenessModel: Promise<MiniFasNetLiveness> | undefined;

  /**
   * Seals crops of unknown persons; from the desktop key, the passphrase or device.key.
   * @deprecated use the Engine's crop and backup methods; the key stays inside the engine.
   */
  private readonly masterKey: MasterKey;
  /** Where the master key came from: 'device' means file permissions are the only lock. */
  readonly keySource: KeySource;
  /** The configuration object, loaded once; the live runtime watches it for changes. */
  readonly settings: LiveSettings;
  /** Rows and templates: the only way above `main/store/` to read or change state. */
  readonly store: Store;

  private constructor(
    store: Store,
    readonly recognizer: ModelEntry,
    private readonly options: Required<
      Omit<EngineOptions, 'passphrase' | 'masterKey' | 'encryptStore' | 'store'>
    >,
    masterKey: MasterKey,
    keySource: KeySource,
  ) {
    this.masterKey = masterKey;
    this.keySource = keySource;
    this.store = store;
    this.settings = new LiveSettings(this.store);
    this.purgeExpired();
  }

  /** The model pack the engine loads (the live pipeline sizes its detection regions for its detector). */
  get pack(): string {
    return this.options.pack;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /** Deletes crops past their retention (also run on a schedule by the server). */
  purgeExpired(now = new Date()): number {
    const n = purgeExpiredCrops(this.store, now);
    if (n > 0) this.store.audit.append({ actor: 'engine', action: 'crops_expired', details: { count: n } });
    return n;
  }

  /** Encrypts and keeps the best face crop of an unknown person, replacing an older one. */
  async keepCrop(unknownId: string, frame: RgbImage, box: Box): Promise<boolean> {
    const jpeg = await cropJpeg(frame, box);
    if (!this.store.isOpen || !this.store.sightings.isActiveUnknown(unknownId)) return false;
    storeCrop(this.store, this.masterKey, unknownId, jpeg, this.settings.current.retention_days);
    return true;
  }

  /** A backup archive of this data folder in `out`, sealed under a key derived from the master key. */
  backup(out: string): Promise<BackupResult> {
    if (this.store.dialect === 'postgres')
      return Promise.reject(
        new VigilError(
          'INVALID_ARGUMENT',
          "A shared store is backed up with PostgreSQL's own tools (pg_dump, or the server's continuous archiving), not with vigil backup.",
        ),
      );
    return createBackup(this.store, this.dataDir, this.masterKey, out);
  }

  /**
   * Lends a copy of the master key to `fn` (a backup thread needs it to open its own connection),
   * and zeroes the copy as soon as `fn` returns: it must hand the key on synchronously.
   */
  lendMasterKey<T>(fn: (key: Uint8Array) => T): T {
    const copy = new Uint8Array(this.masterKey);
    try {
      return fn(copy);
    } finally {
      copy.fill(0);
    }
  }

  /** The decrypted best-shot crop of an unknown person (the key never leaves the engine). */
  readCrop(unknownId: string): Buffer {
    return readCrop(this.store, this.masterKey, unknownId);
  }

  /**
   * Merges unknown persons that turn out to be one stranger (run periodically by the server).
   * The bar is a little above the unknown threshold: a merge is harder to undo than a split.
   */
  mergeUnknowns(): MergeResult[] {
    const maxShots = this.settings.current.max_embeddings_per_person;
    return mergeUnknownFragments(this.store, this.thresholds().unknown + 0.05, maxShots);
  }

  /**
   * Closes an unknown person's case: identified or dismissed. The crop is deleted at once.
   * `audit` names who closed it when that is not the engine's own actor (a console user).
   */
  resolveUnknown(
    unknownId: string,
    status: 'identified' | 'dismissed',
    identifiedAs?: string,
    audit: Pick<AuditEntry, 'details'> & { actor?: string } = {},
  ): void {
    const found = this.store.transaction(() => {
      const changed = this.store.sightings.closeUnknown(
        unknownId,
        status,
        identifiedAs ?? null,
        new Date().toISOString(),
      );
      if (!changed) return false;
      deleteCrop(this.store, unknownId);
      this.store.vectors.forget('unknown', unknownId);
      this.store.audit.append({
        actor: audit.actor ?? this.options.actor,
        action: `unknown_${status}`,
        subject: unknownId,
        details: audit.details,
      });
      return true;
    }, 'immediate');
    if (!found) throw new VigilError('NOT_FOUND', `No active unknown person with id ${unknownId}.`);
  }

  static open(options: EngineOptions): Engine {
    const pack = packByName(options.pack ?? 'default', loadManifest());
    const recognizer = modelById(pack.recognizer);
    const dim = Number(recognizer.output.size);
    if (options.store) return Engine.openShared(options, options.store, recognizer, dim);
    const keys = unlockDataFolder(options.dataDir, {
      ...(options.masterKey ? { masterKey: options.masterKey } : {}),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      ...(options.encryptStore !== undefined ? { encryptStore: options.encryptStore } : {}),
    });
    let db: Store['sql'];
    try {
      db = openDatabase(options.dataDir, {
        recognizerId: recognizer.id,
        embeddingDim: dim,
        key: keys.storeKey,
      });
    } finally {
      keys.storeKey?.fill(0);
    }
    try {
      dropLegacyKeyMeta(db);
      unlockAuditKey(options.dataDir, keys.masterKey, new SqliteAuditLog(db));
    } catch (e) {
      db.close();
      throw e;
    }
    let store: Store;
    try {
      store = new Store(db, new VectorStore(db, dim));
    } catch (e) {
      db.close();
      throw e;
    }
    return new Engine(
      store,
      recognizer,
      { dataDir: options.dataDir, pack: options.pack ?? 'default', actor: options.actor ?? 'cli' },
      keys.masterKey,
      keys.source,
    );
  }

  /**
   * An engine over the shared store: the master key comes from the cluster's passphrase and the
   * store's key document (never from this machine's data folder), so every node reads the same
   * crops and extends the same audit chain.
   */
  private static openShared(
    options: EngineOptions,
    loc: PostgresLocation,
    recognizer: ModelEntry,
    dim: number,
  ): Engine {
    if (options.masterKey)
      throw new VigilError(
        'STORE_LOCKED',
        `The shared store ${loc.display} is unlocked by the cluster's passphrase, not by the desktop app's key.`,
      );
    // The data folder still holds this machine's own files: logs, models, tokens, the write buffer.
    createDataFolder(options.dataDir);
    const store = Store.openShared(loc, { recognizerId: recognizer.id, embeddingDim: dim });
    let masterKey: MasterKey;
    try {
      masterKey = unlockSharedStore(store, { passphrase: options.passphrase, display: loc.display });
    } catch (e) {
      store.close();
      throw e;
    }
    return new Engine(
      store,
      recognizer,
      { dataDir: options.dataDir, pack: options.pack ?? 'default', actor: options.actor ?? 'cli' },
      masterKey,
      'passphrase',
    );
  }

  /** Models load on first use: listing members needs none. */
  /**
   * The pack's anti-spoofing verdict on one face of a live capture; null when the pack has no
   * liveness model. The image is the decoded capture, the box in its pixels.
   */
  async liveness(image: RgbImage, box: Box): Promise<{ probability: number; live: boolean } | null> {
    const id = packByName(this.options.pack).liveness;
    if (!id) return null;
    this.livenessModel ??= loadLiveness(modelById(id), this.options.dataDir);
    const model = await this.livenessModel;
    const probability = await model.realProbability(image, box);
    return { probability, live: probability >= model.realThreshold };
  }

  async loadModels(): Promise<LoadedModels> {
    this.models ??= await loadModels({ pack: this.options.pack }, this.options.dataDir);
    return this.models;
  }

  close(): void {
    this.store.audit.flushAnchor();
    this.store.close();
  }

  thresholds(cameraId?: string): Thresholds {
    const calibrated = this.recognizer.thresholds;
    if (!calibrated)
      throw new VigilError('MODEL_INVALID', `${this.recognizer.id} has no calibrated thresholds.`);
    // From the settings held in memory: the live pipeline asks for every decision.
    const settings = this.settings.current;
    const config = settings.thresholds[this.recognizer.id];
    const camera = cameraId ? settings.cameras[cameraId] : undefined;
    return resolveThresholds(calibrated, config, {
      recognition: camera?.recognition ?? null,
      unknown: camera?.unknown ?? null,
    });
  }

  /** Photos are file paths (CLI) or bytes with a label (console uploads, never written to disk). */
  async enroll(
    member: NewMember,
    photos: EnrollPhoto[],
    opts: { actor?: string; afterInsert?: (memberId: string) => void } = {},
  ): Promise<EnrollResult> {
    const name = member.name.trim();
    if (!name) throw new VigilError('INVALID_ARGUMENT', 'A member needs a name.');
    // One-off operations start from the stored settings as they are now (another process may have changed them).
    this.settings.refresh();
    const { enroll_min_photos: minPhotos, enroll_max_photos: maxPhotos } = this.settings.current;
    if (photos.length < minPhotos)
      throw new VigilError('INVALID_ARGUMENT', `Enrollment needs at least ${minPhotos} photo.`);
    if (photos.length > maxPhotos) {
      throw new VigilError(
        'ENROLL_TOO_MANY_PHOTOS',
        `Enrollment takes at most ${maxPhotos} photos; ${photos.length} were given.`,
      );
    }
    const models = await this.loadModels();
    const t = this.thresholds();
    const rejected: EnrollResult['rejected'] = [];
    const usable: { photo: string; face: AnalysedFace }[] = [];
    for (const input of photos) {
      const photo = typeof input === 'string' ? input : input.label;
      try {
        const bytes = typeof input === 'string' ? input : input.data;
        const faces = await analyseImage(models, await decodeImage(bytes, { label: 'the photo' }));
        const candidates = subjectCandidates(faces);
        if (faces.length === 0) {
          rejected.push({ photo, reason: 'no face was found in the photo' });
          continue;
        }
        if (candidates.length > 1) {
          rejected.push({
            photo,
            reason: `the photo shows ${candidates.length} faces; enrollment needs exactly one`,
          });
          continue;
        }
        const face = candidates[0] ?? largestFace(faces)!;
        const failure = gateFailure(face.quality, ENROLL_GATE);
        if (failure) {
          rejected.push({ photo, reason: failure.reason });
          continue;
        }
        usable.push({ photo, face });
      } catch (e) {
        rejected.push({ photo, reason: describeError(e) });
      }
    }
    // Best shots first. A photo that looks like none of the others, while they look like each
    // other, is someone else; when no two photos agree there is no majority to judge by, and a
    // genuine photo turned away would cost the member a view, so all are kept.
    usable.sort((a, b) => b.face.quality.score - a.face.quality.score);
    const bar = t.unknown * SAME_PERSON_FRACTION;
    const agrees = (i: number, j: number): boolean =>
      i !== j && dot(usable[i]!.face.embedding, usable[j]!.face.embedding) >= bar;
    const anyPairAgrees = usable.some((_, i) => usable.some((__, j) => agrees(i, j)));
    const kept: { photo: string; face: AnalysedFace }[] = [];
    for (const [i, u] of usable.entries()) {
      if (anyPairAgrees && !usable.some((_, j) => agrees(i, j))) {
        rejected.push({
          photo: u.photo,
          reason: 'the face does not look like the person in the other photos',
        });
        continue;
      }
      kept.push(u);
    }
    if (kept.length === 0) {
      const why = rejected.map((r) => `${r.photo}: ${r.reason}`).join('; ');
      throw new VigilError('ENROLL_NO_USABLE_PHOTO', `No usable photo, so no member was created (${why}).`);
    }
    const maxShots = this.settings.current.max_embeddings_per_person;
    const shots = kept.slice(0, maxShots);
    const center = centroid(shots.map((s) => s.face.embedding));
    const warnings: string[] = [];
    if (kept.length > shots.length)
      warnings.push(`only the best ${shots.length} of ${kept.length} usable photos were kept`);
    const vectors = this.store.vectors;
    const dup = vectors.searchPeople('member', center, 1)[0];
    if (dup && dup.similarity >= t.recognition) {
      warnings.push(
        `this face already matches member ${dup.personId} (similarity ${dup.similarity.toFixed(2)}); check this is not a duplicate`,
      );
    }
    const seenAsUnknown = vectors.searchPeople('unknown', center, 1)[0];
    if (seenAsUnknown && seenAsUnknown.similarity >= t.unknown) {
      warnings.push(`this person was seen before as unknown person ${seenAsUnknown.personId}`);
    }
    const quality = shots.reduce((s, x) => s + x.face.quality.score, 0) / shots.length;
    const memberId = newMemberId();
    this.store.transaction(() => {
      this.store.members.insert(memberId, { ...member, name }, this.recognizer.id, quality);
      for (const s of shots)
        vectors.add('member', memberId, s.face.embedding, { quality: s.face.quality.score });
      vectors.add('member', memberId, center, { isCentroid: true, quality });
      this.store.audit.append({
        actor: opts.actor ?? this.options.actor,
        action: 'member_registered',
        subject: memberId,
        details: { embeddings: shots.length, photos: photos.length, rejected: rejected.length },
      });
      opts.afterInsert?.(memberId);
    }, 'immediate');
    return {
      member_id: memberId,
      embeddings_count: shots.length,
      quality_score: round4(quality),
      rejected,
      warnings,
    };
  }

  /** Identifies every face of one image and records what it decided. */
  async identify(image: string, opts: { cameraId?: string } = {}): Promise<IdentifiedFace[]> {
    const models = await this.loadModels();
    const decoded = await decodeImage(image, { label: image });
    const faces = await analyseImage(models, decoded);
    this.settings.refresh();
    const t = this.thresholds(opts.cameraId);
    const cameraId = opts.cameraId ?? null;
    const maxShots = this.settings.current.max_embeddings_per_person;
    const results: IdentifiedFace[] = [];
    const newUnknowns: { id: string; box: Box }[] = [];
    const store = this.store;
    store.transaction(() => {
      for (const face of faces) {
        const at = new Date().toISOString();
        const members = store.vectors.searchPeople('member', face.embedding, 3);
        const topUnknown = store.vectors.searchPeople('unknown', face.embedding, 1)[0];
        const candidates = members.map((m) => ({
          member_id: m.personId,
          name: store.members.get(m.personId)?.name ?? '',
          similarity: round4(m.similarity),
        }));
        const band = decideBand(members[0], topUnknown, t);
        const bbox = face.box.map((v) => Math.round(v)) as IdentifiedFace['bbox'];
        const appearance = { camera_id: cameraId, source: 'image', first_seen: at, last_seen: at, bbox };
        if (band.type === 'known_member') {
          const id = band.match.personId;
          store.appearances.insert({
            ...appearance,
            person_kind: 'member',
            person_id: id,
            confidence: band.match.similarity,
          });
          store.members.recordSeen(id, at);
          results.push({
            bbox,
            type: band.type,
            member_id: id,
            name: candidates[0]!.name,
            confidence: round4(band.match.similarity),
            candidates,
          });
        } else if (band.type === 'recurring_unknown') {
          const id = band.match.personId;
          store.appearances.insert({
            ...appearance,
            person_kind: 'unknown',
            person_id: id,
            confidence: band.match.similarity,
          });
          store.unknowns.recordSeen(id, at, cameraId, face.quality.score);
          // Keep a few distinct good views so later sightings from other angles still match.
          const stored = store.vectors.vectorsOf('unknown', id);
          if (
            stored.length < maxShots &&
            band.match.similarity < 0.9 &&
            !gateFailure(face.quality, ENROLL_GATE)
          ) {
            store.vectors.add('unknown', id, face.embedding, { quality: face.quality.score });
          }
          results.push({
            bbox,
            type: band.type,
            unknown_id: id,
            name: id,
            confidence: round4(band.match.similarity),
            candidates,
          });
        } else {
          const id = newUnknownId(new Date(at));
          store.unknowns.insert(id, at, cameraId, face.quality.score, this.recognizer.id);
          store.vectors.add('unknown', id, face.embedding, { quality: face.quality.score });
          store.appearances.insert({
            ...appearance,
            person_kind: 'unknown',
            person_id: id,
            confidence: face.detectionScore,
          });
          store.audit.append({
            actor: this.options.actor,
            action: 'unknown_detected',
            subject: id,
            details: { camera: cameraId },
          });
          newUnknowns.push({ id, box: face.box });
          const nearest = Math.max(0, members[0]?.similarity ?? 0, topUnknown?.similarity ?? 0);
          results.push({
            bbox,
            type: band.type,
            unknown_id: id,
            name: id,
            confidence: round4(1 - nearest),
            candidates,
          });
        }
      }
    }, 'immediate');
    for (const u of newUnknowns) {
      await this.keepCrop(u.id, decoded.image, u.box.map((v) => v * decoded.scale) as Box);
    }
    return results;
  }

  /** Deletes a member and every trace of them: row, vectors, appearances, alerts. */
  deleteMember(memberId: string, actor = this.options.actor): void {
    const found = this.store.transaction(() => {
      if (!this.store.members.get(memberId)) return false;
      const vectors = this.store.vectors.removePerson('member', memberId);
      this.store.members.delete(memberId);
      this.store.audit.append({
        actor,
        action: 'member_deleted',
        subject: memberId,
        details: { vectors },
      });
      return true;
    }, 'immediate');
    if (!found) throw new VigilError('NOT_FOUND', `No member with id ${memberId}.`);
    this.store.health.checkpoint();
  }
}
