import type { SqlPort } from './sql-port.js';
import type { TemplateRepository } from './repositories.js';

/** Member shots as the template learning sees them (embeddings rows and their audit trail). */
export function sqliteTemplates(db: SqlPort): TemplateRepository {
  return {
    replaceableShots: (memberId) =>
      db
        .prepare(
          `SELECT embedding_id AS id, quality, created_at FROM embeddings
           WHERE person_kind = 'member' AND person_id = ? AND is_centroid = 0 AND retired_at IS NULL
           ORDER BY origin = 'sighting' DESC, quality IS NULL DESC, quality ASC, created_at ASC, embedding_id ASC`,
        )
        .all(memberId) as { id: number; quality: number | null }[],
    learntShots: (by) =>
      db
        .prepare(
          `SELECT embedding_id AS id, person_id AS memberId FROM embeddings
           WHERE person_kind = 'member' AND origin = 'sighting' AND ${'embeddingId' in by ? 'embedding_id' : 'appearance_id'} = ?`,
        )
        .all('embeddingId' in by ? by.embeddingId : by.appearanceId) as { id: number; memberId: string }[],
    updateRecords: (memberId) =>
      db
        .prepare(
          "SELECT details FROM audit_log WHERE action = 'template_updated' AND subject = ? ORDER BY audit_id DESC",
        )
        .pluck()
        .all(memberId) as string[],
  };
}
