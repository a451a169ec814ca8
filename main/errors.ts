/**
 * Every failure that can reach a person is a VigilError with a stable code and a sentence
 * written for them; anything else is a bug and is reported as such by the CLI.
 */
export type VigilErrorCode =
  | 'IMAGE_EMPTY'
  | 'IMAGE_UNREADABLE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_NOT_FOUND'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'FACE_TOO_SMALL'
  | 'FACE_BLURRED'
  | 'FACE_POSE'
  | 'FACE_LIGHTING'
  | 'ENROLL_NO_USABLE_PHOTO'
  | 'ENROLL_TOO_MANY_PHOTOS'
  | 'INVALID_ARGUMENT'
  | 'MODEL_MISSING'
  | 'MODEL_CHECKSUM'
  | 'MODEL_INVALID'
  | 'MODEL_PACK_UNKNOWN'
  | 'DOWNLOAD_FAILED'
  | 'NOT_FOUND'
  | 'STORE_CORRUPT'
  | 'STORE_MODEL_MISMATCH'
  | 'STORE_LOCKED'
  | 'DATA_DIR'
  | 'AUTH_FAILED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'DISK_FULL'
  /** The shared PostgreSQL store refused the connection or did not answer. */
  | 'STORE_UNREACHABLE'
  /** An inference worker crashed, hung or could not load its models; it is being replaced. */
  | 'INFERENCE_FAILED';

export class VigilError extends Error {
  readonly code: VigilErrorCode;
  constructor(code: VigilErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VigilError';
    this.code = code;
  }
}

export function isVigilError(e: unknown): e is VigilError {
  return e instanceof VigilError;
}

/** The sentence to show a person for any thrown value. */
export function describeError(e: unknown): string {
  if (isVigilError(e)) return e.message;
  if (e instanceof Error) return `Unexpected internal error: ${e.message}`;
  return `Unexpected internal error: ${String(e)}`;
}
