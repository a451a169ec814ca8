import type { Box, PreviewFrame } from '../contract/contract.js';
import type { CameraStatus } from '../source/camera-source.js';

/** What the engine tells its listeners (console, `vigil events`, alert channels). */
export type RecognitionKind = 'known_member' | 'recurring_unknown' | 'new_unknown';

export interface RecognitionEvent {
  type: 'recognition';
  camera_id: string;
  track_id: number;
  kind: RecognitionKind;
  member_id?: string;
  unknown_id?: string;
  name: string;
  confidence: number;
  /** [x1, y1, x2, y2] in the analysed frame's pixels. */
  bbox: Box;
  /** When the deciding frame was decoded, and when the decision was made (ms since epoch). */
  frame_at: number;
  at: number;
  /** A stranger close below the recognition threshold of this member (not named: possibly them). */
  possible_member?: { member_id: string; name: string; similarity: number };
  /** This member was first taken for this unknown person in the same visit (since: visit start, ISO). */
  corrects?: { unknown_id: string; since: string };
}

/** A camera's status as an event, in the wire's snake_case (CameraStatusEventView). */
export interface CameraStatusEvent {
  type: 'camera_status';
  camera_id: string;
  state: CameraStatus['state'];
  reason: string | null;
  fps: number;
  last_frame_at: string | null;
  frames_decoded: number;
  frames_dropped: number;
  reconnects: number;
  last_error: string | null;
  last_error_at: string | null;
  decoder?: string;
  decoder_note?: string | null;
  analysis?: 'full' | 'motion' | 'reduced';
  analysis_note?: string | null;
}

export function cameraStatusEvent(s: CameraStatus): CameraStatusEvent {
  return {
    type: 'camera_status',
    camera_id: s.cameraId,
    state: s.state,
    reason: s.reason,
    fps: s.fps,
    last_frame_at: s.lastFrameAt,
    frames_decoded: s.framesDecoded,
    frames_dropped: s.framesDropped,
    reconnects: s.reconnects,
    last_error: s.lastError,
    last_error_at: s.lastErrorAt,
    ...(s.decoder !== undefined ? { decoder: s.decoder } : {}),
    ...(s.decoderNote !== undefined ? { decoder_note: s.decoderNote } : {}),
    ...(s.analysis !== undefined ? { analysis: s.analysis } : {}),
    ...(s.analysisNote !== undefined ? { analysis_note: s.analysisNote } : {}),
  };
}

export interface StatsEvent {
  type: 'stats';
  cameras: number;
  frames_analysed: number;
  faces_embedded: number;
  frames_dropped: number;
  faces_skipped: Record<string, number>;
  tracks_discarded: number;
  /** True while the data folder's disk is full and nothing is recorded (see store/write-guard). */
  disk_full?: boolean;
  /** Store writes dropped because the disk was full, by kind (appearance, unknown_sighting…). */
  writes_dropped?: Record<string, number>;
}

/** An alert as raised; the notify channels deliver this shape. */
export interface AlertMessage {
  alert_id: number;
  type: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
  message: string;
  camera_id: string | null;
  person_id: string | null;
  created_at: string;
}

export interface AlertEvent extends AlertMessage {
  type: 'alert';
  alert_type: string;
}

/** A console tile's frame with the faces of the current tracks (see Pipeline.onPreview). */
export type { PreviewFrame };

export type EngineEvent = RecognitionEvent | CameraStatusEvent | StatsEvent | AlertEvent | PreviewFrame;
