import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { CAMERA_ID_PATTERN } from '../contract/wire.js';

/**
 * The one description of Vigil's settings: every layer (defaults, stored rows, environment) is
 * validated against it, and the types used by the engine are derived from it.
 */
export const channelsSchema = z
  .object({
    webhook: z.object({ url: z.string().url() }).strict().optional(),
    /** Home Assistant and most home-automation hubs listen on MQTT: alerts go to `${topic}/alert`. */
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://'),
        topic: z.string().min(1),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .strict()
      .optional(),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        secure: z.boolean().optional(),
        user: z.string().optional(),
        pass: z.string().optional(),
        from: z.string().min(3),
        to: z.array(z.string().min(3)).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export const alertRulesSchema = z
  .object({
    /** Appearances of one unknown within the window that raise a recurring_unknown alert. */
    recurringThreshold: z.number().int().min(1).optional(),
    recurringWindowMs: z.number().int().min(60_000).optional(),
    /** A camera must stay offline this long before camera_offline is raised. */
    offlineGraceMs: z.number().int().min(0).optional(),
    /** One alert per type, person and camera within this period: one visit, one alert. */
    cooldownMs: z.number().int().min(0).optional(),
  })
  .strict();

const thresholdPair = z
  .object({
    recognition: z.number().min(0).max(1).optional(),
    unknown: z.number().min(0).max(1).optional(),
  })
  .strict();

export const thresholdsSchema = z.record(
  // Keyed by model id; "__proto__" and the like are refused, never silently dropped.
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be a model id'),
  thresholdPair,
);

/** A rectangle of the picture in normalised coordinates (0–1): [x1, y1, x2, y2], x1 < x2, y1 < y2. */
export const normalisedRectSchema = z
  .tuple([
    z.number().min(0).max(1),
    z.number().min(0).max(1),
    z.number().min(0).max(1),
    z.number().min(0).max(1),
  ])
  .refine(([x1, y1, x2, y2]) => x1 < x2 && y1 < y2, 'must be [x1, y1, x2, y2] with x1 < x2 and y1 < y2');

/**
 * Hardware decoding: `auto` lets ffmpeg pick what the machine has (VAAPI, NVDEC, VideoToolbox,
 * D3D11); a named one forces it. When it fails the camera decodes in software and says why.
 */
export const hwaccelSchema = z.enum(['off', 'auto', 'vaapi', 'cuda', 'qsv', 'videotoolbox', 'd3d11va']);
export type Hwaccel = z.infer<typeof hwaccelSchema>;

/** One camera's capacity settings: what its motion detector ignores, what it decodes, and how. */
export const cameraCapacitySchema = z
  .object({
    /** Areas where motion is ignored (a clock, a tree, a screen), in normalised coordinates. */
    masks: z.array(normalisedRectSchema).max(32).optional(),
    /** A lower-resolution stream of the same camera to analyse instead of the main one (RTSP `subtype=1`). */
    substream_url: z
      .string()
      .regex(/^rtsps?:\/\/[^\s`|;<>]+$/, 'must be an rtsp:// address without spaces')
      .optional(),
    hwaccel: hwaccelSchema.optional(),
  })
  .strict();
export type CameraCapacity = z.infer<typeof cameraCapacitySchema>;

/** The stored settings (system_config rows), each with its default. */
export const settingsSchema = z
  .object({
    retention_days: z.number().int().min(1).max(3650).default(30),
    max_embeddings_per_person: z.number().int().min(1).max(20).default(5),
    /** Per recognizer model id: { recognition, unknown } overrides of the manifest's calibration. */
    thresholds: thresholdsSchema.default({}),
    enroll_min_photos: z.number().int().min(1).max(10).default(1),
    enroll_max_photos: z.number().int().min(1).max(50).default(10),
    /** Where alerts go besides the event stream. */
    alert_channels: channelsSchema.default({}),
    alert_rules: alertRulesSchema.default({}),
    /** Search half-frame tiles for small faces on live cameras (slower, finds more far faces). */
    detection_tiles: z.boolean().default(false),
    /**
     * Run face detection only where something moves and around people already tracked; a still
     * scene costs no detector call. Off: every analysed frame is searched whole.
     */
    motion_gating: z.boolean().default(true),
    /** Hardware decoding for every camera (a camera's own `hwaccel` wins). */
    hwaccel: hwaccelSchema.default('off'),
    /** Per camera id: motion masks, a detection sub-stream, a decoder choice. */
    camera_capacity: z
      .record(z.string().regex(CAMERA_ID_PATTERN, 'must be a camera id'), cameraCapacitySchema)
      .default({}),
    /** Days a dismissed unknown person is still recognised live, silently (no new id, no alert). */
    dismissed_suppression_days: z.number().int().min(0).max(3650).default(30),
    /** The desktop app opens as the locked enrollment kiosk (as with --kiosk). */
    kiosk: z.boolean().default(false),
    /** Daily encrypted backups made by the running engine (see backup/schedule.ts). */
    backup_schedule: z
      .object({
        enabled: z.boolean(),
        folder: z
          .string()
          .min(1)
          .refine((f) => isAbsolute(f), 'must be an absolute path')
          .nullable(),
        keep: z.number().int().min(1).max(365),
        hour: z.number().int().min(0).max(23),
      })
      .strict()
      .default({ enabled: false, folder: null, keep: 7, hour: 2 }),
  })
  .strict();

export type StoredSettings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof StoredSettings;
export type ChannelConfig = z.infer<typeof channelsSchema>;
export type AlertRuleSettings = z.infer<typeof alertRulesSchema>;
export type ThresholdSettings = z.infer<typeof thresholdsSchema>;

/** Settings people may change (console, `vigil config set`); the others are fixed per install. */
export const EDITABLE_SETTINGS: readonly SettingKey[] = [
  'retention_days',
  'max_embeddings_per_person',
  'thresholds',
  'alert_channels',
  'alert_rules',
  'detection_tiles',
  'motion_gating',
  'hwaccel',
  'camera_capacity',
  'dismissed_suppression_days',
  'kiosk',
  'backup_schedule',
];

export const SETTING_DEFAULTS: StoredSettings = settingsSchema.parse({});

/** A camera's own settings, which win over the global ones for that camera. */
export const cameraOverridesSchema = z
  .object({
    recognition: z.number().min(0).max(1).nullable(),
    unknown: z.number().min(0).max(1).nullable(),
    fps: z.number().positive().nullable(),
  })
  .strict();
export type CameraOverrides = z.infer<typeof cameraOverridesSchema>;

export type SettingSource = 'default' | 'stored' | 'environment';

/** The configuration object the running engine subscribes to. */
export interface Settings extends StoredSettings {
  /** Per camera id, from the camera rows. */
  cameras: Record<string, CameraOverrides>;
  /** Which layer each setting's effective value came from (environment wins over stored). */
  sources: Record<SettingKey, SettingSource>;
}

/** The environment variable that overrides a setting: VIGIL_RETENTION_DAYS, VIGIL_DETECTION_TILES… */
export function envName(key: SettingKey): string {
  return `VIGIL_${key.toUpperCase()}`;
}
