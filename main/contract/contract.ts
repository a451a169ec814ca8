import { z } from 'zod';
import type { Permission, Role } from './roles.js';
import { ROLES } from './roles.js';
import { LIMITS, MEMBER_TYPES } from './wire.js';

export * from './wire.js';

/**
 * The one contract between the console and the engine. Electron carries it over IPC (the preload
 * exposes exactly `invoke` and `onEvent`), `vigil serve` over its authenticated WebSocket. Each
 * method names the permission it needs (null: callable before login) and validates its input here,
 * at the boundary, so a handler only ever sees well-formed parameters.
 */

const id = z.string().min(1).max(80);
const text = (max: number) => z.string().max(max);
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date or time');
/** A photo sent by the console: base64 of the file's bytes; 16 MiB decoded at most. */
const photo = z.object({ name: text(200), data: z.string().min(1).max(22_500_000) });

const memberFields = z.object({
  name: z.string().trim().min(1).max(LIMITS.name),
  apartment: text(LIMITS.apartment).nullish(),
  email: text(LIMITS.email).nullish(),
  phone: text(LIMITS.phone).nullish(),
  member_type: z.enum(MEMBER_TYPES).optional(),
  notes: text(LIMITS.notes).nullish(),
});

const reportKind = z.enum(['appearances', 'unknowns', 'alerts', 'audit']);

/**
 * A face's box as `[x1, y1, x2, y2]`: left, top, right and bottom edges in the pixels of the frame
 * it was found in (the analysed frame for recognitions, the preview JPEG for preview faces). Never
 * `[x, y, w, h]`: the engine, the events and the renderer share this one type.
 */
export type Box = [number, number, number, number];

export const methods = {
  // Sessions
  'auth.status': { permission: null, input: z.object({}).strict() },
  'auth.setup': {
    permission: null,
    input: z
      .object({
        username: z.string().min(1).max(LIMITS.username),
        password: z.string().min(1).max(LIMITS.password),
        /** The one-time first-run code `vigil serve` prints; the desktop shell needs none. */
        code: z.string().max(64).optional(),
      })
      .strict(),
  },
  'auth.login': {
    permission: null,
    input: z
      .object({
        username: z.string().min(1).max(LIMITS.username),
        password: z.string().min(1).max(LIMITS.password),
      })
      .strict(),
  },
  'auth.logout': { permission: null, input: z.object({}).strict() },
  'auth.changePassword': {
    permission: null,
    input: z
      .object({ current: z.string().max(LIMITS.password), next: z.string().min(1).max(LIMITS.password) })
      .strict(),
  },
  'system.info': { permission: null, input: z.object({}).strict() },
  'system.logProblems': {
    permission: 'settings.manage',
    input: z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
  },

  // Cameras
  'cameras.list': { permission: 'live.view', input: z.object({}).strict() },
  'cameras.add': {
    permission: 'cameras.manage',
    input: z
      .object({
        id: z.string().min(1).max(LIMITS.camera_id),
        name: z.string().min(1).max(LIMITS.camera_name),
        url: z.string().min(1).max(LIMITS.url),
        location: text(LIMITS.location).nullish(),
        loop: z.boolean().optional(),
        recognition_threshold: z.number().min(0).max(1).nullish(),
        unknown_threshold: z.number().min(0).max(1).nullish(),
      })
      .strict(),
  },
  'cameras.update': {
    permission: 'cameras.manage',
    input: z
      .object({
        id,
        name: z.string().min(1).max(LIMITS.camera_name).optional(),
        location: text(LIMITS.location).nullish(),
        url: z.string().min(1).max(LIMITS.url).optional(),
        recognition_enabled: z.boolean().optional(),
        recognition_threshold: z.number().min(0).max(1).nullish(),
        unknown_threshold: z.number().min(0).max(1).nullish(),
      })
      .strict(),
  },
  'cameras.remove': { permission: 'cameras.manage', input: z.object({ id }).strict() },
  'cameras.test': {
    permission: 'cameras.manage',
    input: z.object({ url: z.string().min(1).max(LIMITS.url) }).strict(),
  },
  /** ONVIF cameras on the local network (WS-Discovery); with credentials, their RTSP stream URIs. */
  'cameras.discover': {
    permission: 'cameras.manage',
    input: z
      .object({
        timeout_ms: z.number().int().min(500).max(10_000).optional(),
        username: z.string().max(LIMITS.camera_credential).optional(),
        password: z.string().max(LIMITS.camera_credential).optional(),
      })
      .strict(),
  },

  // Members
  'members.list': {
    permission: 'members.view',
    input: z
      .object({
        query: text(200).optional(),
        // Bounded: SQLite refuses an OFFSET beyond 64-bit integers (1e308 is an "integer" to JS).
        offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        limit: z.number().int().min(1).max(200).default(25),
      })
      .strict(),
  },
  'members.get': { permission: 'members.view', input: z.object({ id }).strict() },
  'members.checkPhoto': {
    permission: 'members.enroll',
    /** live: taken just now with the console's camera, so the pack's liveness model judges it too. */
    input: z.object({ photo, live: z.boolean().optional() }).strict(),
  },
  'members.enroll': {
    permission: 'members.enroll',
    input: z
      .object({
        member: memberFields,
        /** live: taken just now with the console's camera; the engine checks its liveness again. */
        photos: z
          .array(photo.extend({ live: z.boolean().optional() }))
          .min(1)
          .max(10),
        /** The consent text shown and accepted before capture (kiosk and wizard). */
        consent: z
          .object({ text: z.string().min(1).max(5000), method: z.enum(['kiosk', 'console']) })
          .optional(),
      })
      .strict(),
  },
  'members.update': {
    permission: 'members.edit',
    input: z.object({ id, fields: memberFields.partial() }).strict(),
  },
  'members.setStatus': {
    permission: 'members.edit',
    input: z
      .object({
        id,
        status: z.enum(['active', 'suspended']).optional(),
        watchlist: z.boolean().optional(),
        allowed_hours: z.string().max(20).nullable().optional(),
      })
      .strict(),
  },
  'members.delete': { permission: 'members.delete', input: z.object({ id }).strict() },

  // Unknown persons (the review queue)
  'unknowns.list': {
    permission: 'unknowns.view',
    input: z
      .object({
        sort: z.enum(['newest', 'frequent']).default('newest'),
        status: z.enum(['active', 'identified', 'dismissed', 'all']).default('active'),
      })
      .strict(),
  },
  'unknowns.get': { permission: 'unknowns.view', input: z.object({ id }).strict() },
  'unknowns.crop': { permission: 'unknowns.view_crop', input: z.object({ id }).strict() },
  'unknowns.identify': {
    permission: 'unknowns.resolve',
    input: z
      .object({
        id,
        name: z.string().trim().min(1).max(LIMITS.name),
        type: z.enum(MEMBER_TYPES),
        notes: text(LIMITS.notes).nullish(),
      })
      .strict(),
  },
  'unknowns.convert': {
    permission: 'unknowns.resolve',
    input: z.object({ id, member: memberFields }).strict(),
  },
  'unknowns.dismiss': {
    permission: 'unknowns.resolve',
    input: z.object({ id, notes: text(LIMITS.notes).nullish() }).strict(),
  },
  'unknowns.notThisPerson': {
    permission: 'unknowns.resolve',
    input: z.object({ id, appearance_id: z.number().int().positive() }).strict(),
  },
  'unknowns.merge': { permission: 'unknowns.resolve', input: z.object({ keep: id, merge: id }).strict() },
  /** Names an unknown as an existing member: faces, sightings and open alerts move to the member. */
  'unknowns.assign': {
    permission: 'unknowns.resolve',
    input: z.object({ id, member_id: id, notes: text(LIMITS.notes).nullish() }).strict(),
  },
  /** Closed cases: identified, dismissed and merged unknown persons, newest first. */
  'unknowns.history': {
    permission: 'unknowns.view',
    input: z
      .object({
        query: text(200).optional(),
        outcome: z.enum(['identified', 'dismissed', 'merged', 'all']).default('all'),
        limit: z.number().int().min(1).max(500).default(200),
      })
      .strict(),
  },
  /** The latest recognitions (appearances), newest first, to fill the live feed on sign-in. */
  'appearances.recent': {
    permission: 'live.view',
    input: z.object({ limit: z.number().int().min(1).max(200).default(50) }).strict(),
  },

  // Alerts
  'alerts.list': {
    permission: 'alerts.view',
    input: z
      .object({
        type: text(40).optional(),
        priority: z.enum(['critical', 'high', 'medium', 'low']).optional(),
        status: z.enum(['open', 'acknowledged', 'resolved']).optional(),
        camera_id: text(64).optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict(),
  },
  'alerts.acknowledge': {
    permission: 'alerts.handle',
    input: z.object({ id: z.number().int().positive(), notes: text(LIMITS.notes).nullish() }).strict(),
  },
  'alerts.resolve': {
    permission: 'alerts.handle',
    input: z.object({ id: z.number().int().positive(), notes: text(LIMITS.notes).nullish() }).strict(),
  },
  /** Acknowledges or resolves many alerts at once; alerts already in that state are skipped. */
  'alerts.bulk': {
    permission: 'alerts.handle',
    input: z
      .object({
        ids: z.array(z.number().int().positive()).min(1).max(1000),
        action: z.enum(['acknowledge', 'resolve']),
        notes: text(LIMITS.notes).nullish(),
      })
      .strict(),
  },

  // Dashboard and reports
  'dashboard.summary': {
    permission: 'live.view',
    input: z.object({ days: z.number().int().min(1).max(366).default(14) }).strict(),
  },
  'reports.export': {
    permission: 'reports.export',
    input: z
      .object({
        kind: reportKind,
        format: z.enum(['csv', 'pdf']),
        from: isoTime,
        to: isoTime,
        cameras: z.array(text(64)).max(100).optional(),
        /** IANA zone the file's times are written in (the console's); the engine's own by default. */
        time_zone: text(64).optional(),
      })
      .strict(),
  },
  'audit.list': {
    permission: 'audit.view',
    input: z
      .object({
        limit: z.number().int().min(1).max(1000).default(200),
        actor: text(100).optional(),
        action: text(100).optional(),
        subject: text(100).optional(),
        from: isoTime.optional(),
        to: isoTime.optional(),
      })
      .strict(),
  },
  'audit.verify': { permission: 'audit.view', input: z.object({}).strict() },

  // Settings
  'settings.get': { permission: 'settings.manage', input: z.object({}).strict() },
  'settings.set': {
    permission: 'settings.manage',
    input: z.object({ key: z.string().min(1).max(64), value: z.unknown() }).strict(),
  },
  'settings.testChannel': {
    permission: 'settings.manage',
    input: z.object({ channel: z.enum(['webhook', 'smtp', 'mqtt']) }).strict(),
  },
  /** This site's threshold for a false-accept rate; `apply` stores it (global, or one camera). */
  'recognition.calibrate': {
    permission: 'settings.manage',
    input: z
      .object({
        far: z.number().gt(0).lt(1).default(0.01),
        apply: z
          .object({ camera_id: text(64).nullish() })
          .strict()
          .optional(),
      })
      .strict(),
  },

  // Accounts
  'users.list': { permission: 'users.manage', input: z.object({}).strict() },
  'users.add': {
    permission: 'users.manage',
    input: z
      .object({
        username: z.string().min(1).max(LIMITS.username),
        password: z.string().min(1).max(LIMITS.password),
        role: z.enum(ROLES),
      })
      .strict(),
  },
  'users.setPassword': {
    permission: 'users.manage',
    input: z
      .object({
        username: z.string().min(1).max(LIMITS.username),
        password: z.string().min(1).max(LIMITS.password),
      })
      .strict(),
  },
  'users.remove': {
    permission: 'users.manage',
    input: z.object({ username: z.string().min(1).max(LIMITS.username) }).strict(),
  },

  // Data-subject rights (GDPR)
  'subjects.export': { permission: 'subjects.manage', input: z.object({ id }).strict() },
  'subjects.erase': { permission: 'subjects.manage', input: z.object({ id }).strict() },
  'subjects.restrict': {
    permission: 'subjects.manage',
    input: z.object({ id, restricted: z.boolean() }).strict(),
  },
  'consent.record': {
    permission: 'subjects.manage',
    input: z.object({ id, text: z.string().min(1).max(5000) }).strict(),
  },
  'consent.withdraw': { permission: 'subjects.manage', input: z.object({ id }).strict() },

  // Kiosk: leaving the locked enrollment screen needs a named administrator's PIN (their password),
  // and only a kiosk (a kiosk window or a kiosk account's session) may ask.
  'kiosk.unlock': {
    permission: null,
    input: z
      .object({
        username: z.string().min(1).max(LIMITS.username),
        pin: z.string().min(1).max(LIMITS.password),
      })
      .strict(),
  },
} as const satisfies Record<string, { permission: Permission | null; input: z.ZodTypeAny }>;

export type MethodName = keyof typeof methods;

/**
 * The methods open before sign-in: those whose table entry needs no permission. Each of them
 * checks its own caller where it must (a password, a kiosk, a session to end).
 */
export type OpenMethod = {
  [M in MethodName]: (typeof methods)[M]['permission'] extends null ? M : never;
}[MethodName];
export const OPEN_METHODS: ReadonlySet<MethodName> = new Set(
  (Object.keys(methods) as MethodName[]).filter((m) => methods[m].permission === null),
);
export type Params<M extends MethodName> = z.input<(typeof methods)[M]['input']>;
export type ParsedParams<M extends MethodName> = z.output<(typeof methods)[M]['input']>;

// ---- Results -------------------------------------------------------------------------------

export interface SessionUser {
  username: string;
  role: Role;
  permissions: Permission[];
}

export interface AuthStatus {
  needs_setup: boolean;
  user: SessionUser | null;
}

export interface LoginResult {
  session: string;
  user: SessionUser;
  expires_at: string;
}

export interface SystemInfo {
  version: string;
  pack: string;
  recognizer: string;
  execution_provider: string;
  /** Only for a signed-in caller: the folder's path tells an anonymous client too much. */
  data_dir?: string;
  kiosk: boolean;
  /** True when the pack includes a liveness (anti-spoofing) model; the kiosk then says so. */
  liveness?: boolean;
}

export type CameraState = 'connecting' | 'online' | 'offline' | 'error' | 'disabled';

export interface CameraView {
  camera_id: string;
  name: string;
  location: string | null;
  /** With any password replaced by ***. */
  url: string;
  recognition_enabled: boolean;
  recognition_threshold: number | null;
  unknown_threshold: number | null;
  state: CameraState;
  reason: string | null;
  fps: number;
  last_frame_at: string | null;
  detections_today: number;
  /** Why the camera's decoder last failed, kept after it recovered (camera health). */
  last_error?: string | null;
  last_error_at?: string | null;
  /** In a cluster: the node watching the camera (null while none reports it); absent on a single machine. */
  node?: string | null;
}

export interface DiscoveredCameraView {
  urn: string;
  name: string | null;
  hardware: string | null;
  xaddrs: string[];
  streams?: { profile: string; uri: string }[];
  error?: string;
}

export interface CameraTestResult {
  ok: boolean;
  message: string;
  width?: number;
  height?: number;
}

export interface MemberView {
  member_id: string;
  name: string;
  apartment: string | null;
  email: string | null;
  phone: string | null;
  member_type: string;
  status: 'active' | 'suspended' | 'restricted';
  watchlist: boolean;
  allowed_hours: string | null;
  notes: string | null;
  quality_score: number | null;
  embeddings_count: number;
  created_at: string;
  updated_at: string;
  last_seen: string | null;
  total_appearances: number;
}

export interface AppearanceView {
  appearance_id: number;
  person_kind: 'member' | 'unknown';
  person_id: string;
  name: string | null;
  camera_id: string | null;
  first_seen: string;
  last_seen: string;
  confidence: number;
}

export interface PhotoCheck {
  name: string;
  ok: boolean;
  /** Why the photo cannot be used, as a sentence; null when it is usable. */
  reason: string | null;
  quality: number | null;
  face_px: number | null;
  /** Probability of a live face (not a print or screen) for live captures; null when not checked. */
  liveness: number | null;
}

export interface EnrollOutcome {
  member_id: string;
  embeddings_count: number;
  quality_score: number;
  rejected: { photo: string; reason: string }[];
  warnings: string[];
}

export interface UnknownView {
  unknown_id: string;
  status: 'active' | 'identified' | 'dismissed';
  first_seen: string;
  last_seen: string;
  appearance_count: number;
  cameras: string[];
  has_crop: boolean;
  identified_as: string | null;
}

/** A member whose face resembles someone else's (an unknown's), best first. */
export interface SimilarMember {
  member_id: string;
  name: string;
  /** Cosine similarity between the two faces' best embeddings. */
  similarity: number;
}

export interface UnknownDetail extends UnknownView {
  sightings: AppearanceView[];
  /** Members this face resembles (close below or above the recognition threshold), best first. */
  similar_members: SimilarMember[];
  /** The recognition threshold the similarities compare with. */
  recognition_threshold: number;
}

export interface AssignOutcome {
  unknown: UnknownView;
  member_id: string;
  embeddings_added: number;
  sightings_moved: number;
  alerts_resolved: number;
}

export interface UnknownHistoryEntry {
  unknown_id: string;
  outcome: 'identified' | 'dismissed' | 'merged';
  /** When the case was closed (from the audit log; the last sighting when no row is left). */
  at: string;
  /** Who closed it ("engine" for automatic merges). */
  by: string | null;
  /** The member (identified/converted) or the unknown person it was merged into. */
  into_id: string | null;
  /** The member's name, or the free-text identity given when no member was made. */
  into_name: string | null;
  appearance_count: number;
  last_seen: string | null;
}

/** One recognition in the live feed, from the event stream or back-filled from appearances. */
export interface RecentRecognition {
  appearance_id: number;
  camera_id: string | null;
  person_kind: 'member' | 'unknown';
  person_id: string;
  name: string;
  /** Cosine similarity to the decided identity; null for a first sighting of a new unknown. */
  similarity: number | null;
  first_seen: string;
  last_seen: string;
  has_crop: boolean;
}

export interface AlertView {
  alert_id: number;
  type: string;
  priority: 'critical' | 'high' | 'medium' | 'low';
  status: 'open' | 'acknowledged' | 'resolved';
  person_kind: string | null;
  person_id: string | null;
  camera_id: string | null;
  message: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  notes: string | null;
  /** The member's name, or the unknown id; null for camera alerts. */
  person_name?: string | null;
  /** The camera's name (its id when the camera was removed). */
  camera_name?: string | null;
  /** Whether a face crop of the person exists (unknown persons only; members have no photos). */
  has_crop?: boolean;
}

export interface DashboardSummary {
  days: { day: string; known: number; unknown: number }[];
  per_camera: { camera_id: string; count: number }[];
  busiest_hours: number[];
  totals: { members: number; unknowns_active: number; alerts_open: number; appearances_today: number };
  cameras: CameraView[];
}

export interface ExportedFile {
  filename: string;
  mime: string;
  /** base64 */
  data: string;
  rows: number;
}

export interface AuditView {
  audit_id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
}

export interface AuditVerdict {
  ok: boolean;
  rows: number;
  first_bad: number | null;
}

export interface SettingsView {
  values: Record<string, unknown>;
  pack: string;
  packs: string[];
  execution_provider: string;
  data_dir: string;
}

export interface UserView {
  username: string;
  role: Role;
  created_at: string;
  last_login: string | null;
  locked_until: string | null;
}

export interface SubjectExport {
  subject_id: string;
  kind: 'member' | 'unknown';
  generated_at: string;
  json: unknown;
  /** base64 PDF of the same content. */
  pdf: string;
}

export interface Ok {
  ok: true;
}

/** A saved setting: whether the running engine has applied it, and a sentence saying so. */
export interface SettingSaved extends Ok {
  applied: boolean;
  message: string;
}

/** `vigil calibrate`'s figures, with the DET curve the Settings → Recognition panel draws. */
export interface CalibrationView {
  genuine_pairs: number;
  impostor_pairs: number;
  far: number;
  threshold: number | null;
  expected_accept_rate: number | null;
  current_threshold: number;
  /** What is missing before a threshold can be trusted; null when there is enough data. */
  needs: string | null;
  det: { threshold: number; far: number; frr: number }[];
  /** Where the threshold was stored when `apply` was given: 'global' or a camera id. */
  applied: string | null;
}

/** A warning or error from the engine's log file (DATA_DIR/vigil.log), newest first. */
export interface LogProblem {
  t: string;
  level: 'warn' | 'error';
  event: string;
  fields: Record<string, string | number | boolean | null>;
}

export interface Results {
  'auth.status': AuthStatus;
  'auth.setup': LoginResult;
  'auth.login': LoginResult;
  'auth.logout': Ok;
  'auth.changePassword': Ok;
  'system.info': SystemInfo;
  'system.logProblems': LogProblem[];
  'cameras.list': CameraView[];
  'cameras.add': CameraView;
  'cameras.update': CameraView;
  'cameras.remove': Ok;
  'cameras.test': CameraTestResult;
  'cameras.discover': DiscoveredCameraView[];
  'members.list': { total: number; items: MemberView[] };
  'members.get': { member: MemberView; appearances: AppearanceView[] };
  'members.checkPhoto': PhotoCheck;
  'members.enroll': EnrollOutcome;
  'members.update': MemberView;
  'members.setStatus': MemberView;
  'members.delete': Ok;
  'unknowns.list': UnknownView[];
  'unknowns.get': UnknownDetail;
  'unknowns.crop': { mime: 'image/jpeg'; data: string };
  'unknowns.identify': UnknownView;
  'unknowns.convert': { member_id: string; embeddings_count: number };
  'unknowns.dismiss': UnknownView;
  'unknowns.notThisPerson': UnknownDetail;
  'unknowns.merge': UnknownView;
  'unknowns.assign': AssignOutcome;
  'unknowns.history': UnknownHistoryEntry[];
  'appearances.recent': RecentRecognition[];
  'alerts.list': AlertView[];
  'alerts.acknowledge': AlertView;
  'alerts.resolve': AlertView;
  'alerts.bulk': { changed: number; skipped: number };
  'dashboard.summary': DashboardSummary;
  'reports.export': ExportedFile;
  'audit.list': AuditView[];
  'audit.verify': AuditVerdict;
  'settings.get': SettingsView;
  'settings.set': SettingSaved;
  'settings.testChannel': { ok: boolean; message: string };
  'recognition.calibrate': CalibrationView;
  'users.list': UserView[];
  'users.add': UserView;
  'users.setPassword': Ok;
  'users.remove': Ok;
  'subjects.export': SubjectExport;
  'subjects.erase': Ok;
  'subjects.restrict': Ok;
  'consent.record': Ok;
  'consent.withdraw': Ok;
  'kiosk.unlock': Ok;
}

export type Result<M extends MethodName> = Results[M];

// ---- Wire messages ------------------------------------------------------------------------

export type ErrorCode =
  'BAD_REQUEST' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'INVALID_INPUT' | 'INTERNAL';

export interface RpcError {
  code: ErrorCode;
  /** A sentence for the person at the console. */
  message: string;
  /** The engine's own error code when there is one (NO_FACE, IMAGE_UNREADABLE, ...). */
  detail?: string;
}

export interface Request<M extends MethodName = MethodName> {
  kind: 'request';
  id: number;
  method: M;
  params: Params<M>;
}

export type Response =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: RpcError };

/** Live frames for the console tiles: a small JPEG with the faces of the current tracks. */
export interface PreviewFrame {
  type: 'preview';
  camera_id: string;
  at: number;
  width: number;
  height: number;
  /** base64 JPEG */
  jpeg: string;
  /** bbox in this preview's pixels (width × height). */
  faces: { bbox: Box; label: string; kind: 'member' | 'unknown' | 'pending' }[];
}

export interface RecognitionEventView {
  type: 'recognition';
  camera_id: string;
  track_id: number;
  kind: 'known_member' | 'recurring_unknown' | 'new_unknown';
  member_id?: string;
  unknown_id?: string;
  name: string;
  /** The engine's figure: for a new unknown, 1 − the best similarity to anyone stored. */
  confidence: number;
  /**
   * Cosine similarity to the decided identity, the same quantity for members and strangers; null
   * for a new unknown (nobody stored was close enough to compare with).
   */
  similarity: number | null;
  /** Set by the engine when a stranger's best member similarity is close below the threshold. */
  possible_member?: { member_id: string; name: string; similarity: number };
  /** In the analysed frame's pixels. */
  bbox: Box;
  at: number;
  /** The member was first taken for this unknown person in the same visit. */
  corrects?: { unknown_id: string; since: string };
}

export interface CameraStatusEventView {
  type: 'camera_status';
  camera_id: string;
  state: CameraState;
  reason: string | null;
  fps: number;
  last_frame_at?: string | null;
  frames_decoded?: number;
  frames_dropped?: number;
  reconnects?: number;
  last_error?: string | null;
  last_error_at?: string | null;
  /** 'software' or the hardware decoder in use; why hardware decoding was given up, if it was. */
  decoder?: string;
  decoder_note?: string | null;
  /** 'full', 'motion' (detection only where something moves) or 'reduced' (overload), and why. */
  analysis?: 'full' | 'motion' | 'reduced';
  analysis_note?: string | null;
}

export interface AlertEventView {
  type: 'alert';
  alert_id?: number;
  alert_type: string;
  priority: string;
  message: string;
  created_at: string;
  /** Who and where, for a link from the toast (ids; the console shows names). */
  person_id?: string | null;
  camera_id?: string | null;
}

/** Alerts acknowledged or resolved (by anyone, or closed with their subject's case). */
export interface AlertStatusEventView {
  type: 'alert_status';
  alert_ids: number[];
  status: 'acknowledged' | 'resolved';
}

export interface StatsEventView {
  type: 'stats';
  cameras: number;
  frames_analysed: number;
  frames_dropped: number;
}

export interface ProgressEvent {
  type: 'progress';
  task: string;
  done: number;
  total: number;
}

export type ConsoleEvent =
  | PreviewFrame
  | RecognitionEventView
  | CameraStatusEventView
  | AlertEventView
  | AlertStatusEventView
  | StatsEventView
  | ProgressEvent;

/**
 * The console events one node of a cluster relays to the others through the shared store
 * (main/cluster/relay.ts), checked on arrival: another node's notification is input like any
 * other. Unknown fields are dropped. Previews never travel this way (they go node to node), nor
 * stats and progress, which belong to the node that made them.
 */
const wireText = (max: number) => z.string().max(max);
const wireCount = z.number().finite().nonnegative();
const wireBox = z.tuple([z.number().finite(), z.number().finite(), z.number().finite(), z.number().finite()]);
const cameraStatusEventSchema = z.object({
  type: z.literal('camera_status'),
  camera_id: wireText(LIMITS.camera_id).min(1),
  state: z.enum(['connecting', 'online', 'offline', 'error', 'disabled']),
  reason: wireText(2000).nullable(),
  fps: wireCount,
  last_frame_at: wireText(40).nullable().optional(),
  frames_decoded: wireCount.optional(),
  frames_dropped: wireCount.optional(),
  reconnects: wireCount.optional(),
  last_error: wireText(2000).nullable().optional(),
  last_error_at: wireText(40).nullable().optional(),
  decoder: wireText(200).optional(),
  decoder_note: wireText(2000).nullable().optional(),
  analysis: z.enum(['full', 'motion', 'reduced']).optional(),
  analysis_note: wireText(2000).nullable().optional(),
}) satisfies z.ZodType<CameraStatusEventView>;
const alertEventSchema = z.object({
  type: z.literal('alert'),
  alert_id: z.number().int().nonnegative().optional(),
  alert_type: wireText(100),
  priority: wireText(20),
  message: wireText(2000),
  created_at: wireText(40),
  person_id: wireText(100).nullable().optional(),
  camera_id: wireText(LIMITS.camera_id).nullable().optional(),
}) satisfies z.ZodType<AlertEventView>;
const alertStatusEventSchema = z.object({
  type: z.literal('alert_status'),
  alert_ids: z.array(z.number().int().nonnegative()).max(1000),
  status: z.enum(['acknowledged', 'resolved']),
}) satisfies z.ZodType<AlertStatusEventView>;
const recognitionEventSchema = z.object({
  type: z.literal('recognition'),
  camera_id: wireText(LIMITS.camera_id).min(1),
  track_id: z.number().int(),
  kind: z.enum(['known_member', 'recurring_unknown', 'new_unknown']),
  member_id: wireText(100).optional(),
  unknown_id: wireText(100).optional(),
  name: wireText(LIMITS.name),
  confidence: z.number().finite(),
  similarity: z.number().finite().nullable(),
  possible_member: z
    .object({ member_id: wireText(100), name: wireText(LIMITS.name), similarity: z.number().finite() })
    .optional(),
  bbox: wireBox,
  at: wireCount,
  corrects: z.object({ unknown_id: wireText(100), since: wireText(40) }).optional(),
}) satisfies z.ZodType<RecognitionEventView>;

export const relayedEventSchema = z.discriminatedUnion('type', [
  cameraStatusEventSchema,
  alertEventSchema,
  alertStatusEventSchema,
  recognitionEventSchema,
]);
export type RelayedEvent = z.infer<typeof relayedEventSchema>;
/** A preview frame as one node streams it to another (main/cluster/previews.ts), checked on arrival. */
export const previewFrameSchema = z.object({
  type: z.literal('preview'),
  camera_id: wireText(LIMITS.camera_id).min(1),
  at: wireCount,
  width: z.number().int().positive().max(10_000),
  height: z.number().int().positive().max(10_000),
  jpeg: z
    .string()
    .max(4_000_000)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/),
  faces: z
    .array(
      z.object({
        bbox: wireBox,
        label: wireText(LIMITS.name + 50),
        kind: z.enum(['member', 'unknown', 'pending']),
      }),
    )
    .max(200),
}) satisfies z.ZodType<PreviewFrame>;
export const RELAYED_EVENT_TYPES: ReadonlySet<ConsoleEvent['type']> = new Set(
  relayedEventSchema.options.map((o) => o.shape.type.value),
);

export interface EventMessage {
  kind: 'event';
  event: ConsoleEvent;
}

export type ServerMessage = Response | EventMessage;

/** What the preload exposes as `window.vigil` and the browser transport implements. */
export interface VigilApi {
  invoke<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  onEvent(listener: (e: ConsoleEvent) => void): () => void;
}

/** Parses a request arriving over either transport; the error is a sentence. */
export function parseRequest(
  raw: unknown,
): { ok: true; method: MethodName; params: unknown } | { ok: false; message: string } {
  if (typeof raw !== 'object' || raw === null)
    return { ok: false, message: 'A request must be a JSON object.' };
  const r = raw as { method?: unknown; params?: unknown };
  // Never String() a value from the wire: {"toString": 1} cannot be converted and would throw.
  if (typeof r.method !== 'string') return { ok: false, message: 'A request must name its method.' };
  if (!Object.hasOwn(methods, r.method))
    return { ok: false, message: `Unknown method ${JSON.stringify(r.method.slice(0, 80))}.` };
  const m = r.method as MethodName;
  const parsed = methods[m].input.safeParse(r.params ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? `${first.path.join('.')}: ` : '';
    // Issues can quote the sender's keys; a sentence stays a sentence, not a megabyte.
    const why = `${where}${first?.message ?? 'invalid'}`.slice(0, 300);
    return { ok: false, message: `Invalid parameters for ${m}: ${why}.` };
  }
  return { ok: true, method: m, params: parsed.data };
}
