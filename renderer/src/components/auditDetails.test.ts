import { describe, expect, it } from 'vitest';
import { readableDetails } from './auditDetails.js';

describe('readableDetails', () => {
  it('names each changed field of a setting with its old and new value', () => {
    const details = JSON.stringify({
      before: JSON.stringify({
        mobilefacenet: { recognition: 0.42, unknown: 0.5 },
        sface: { recognition: 0.36 },
      }),
      after: JSON.stringify({
        mobilefacenet: { recognition: 0.45, unknown: 0.5 },
        sface: { recognition: 0.36 },
      }),
    });
    expect(readableDetails(details)).toBe('mobilefacenet.recognition: 0.42 → 0.45');
    expect(readableDetails(JSON.stringify({ before: '30', after: '14' }))).toBe('30 → 14');
  });

  it('reads ids and counts as key: value, and says nothing for an empty object', () => {
    expect(readableDetails('{"member":"MEMBER_1","embeddings":3,"sightings":2}')).toBe(
      'member: MEMBER_1 · embeddings: 3 · sightings: 2',
    );
    expect(readableDetails('{}')).toBe('—');
    expect(readableDetails('not json')).toBe('not json');
  });
});
