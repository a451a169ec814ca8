import { VigilError } from '../../errors.js';

/** Placeholder while a domain's handlers are being written; none may remain at release. */
export function pending(method: string): never {
  throw new VigilError('INVALID_ARGUMENT', `${method} is not available in this build yet.`);
}
