import { applyThreshold, calibrate, siteScores } from '../engine/site-calibration.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

/**
 * `vigil calibrate [--far 0.01] [--apply] [--camera ID]`: this site's threshold for a chosen
 * false-accept rate, from its own members and unknown persons; --apply stores it (audited).
 */
export async function runCalibrate(
  g: GlobalOptions,
  a: { far?: string; apply: boolean; camera?: string },
): Promise<number> {
  const far = a.far === undefined ? 0.01 : Number(a.far);
  if (!(far > 0 && far < 1)) throw new UsageError('--far takes a rate between 0 and 1, e.g. 0.01');
  return withEngine(g, (e) => {
    const current = e.thresholds(a.camera).recognition;
    const c = calibrate(siteScores(e.store), far, current);
    const out = {
      genuine_pairs: c.genuine_pairs,
      impostor_pairs: c.impostor_pairs,
      far: c.far,
      threshold: c.threshold,
      expected_accept_rate: c.expected_accept_rate,
      current_threshold: c.current_threshold,
      ...(c.needs ? { needs: c.needs } : {}),
      ...(a.apply && c.threshold !== null ? { applied: a.camera ?? 'global' } : {}),
    };
    if (a.apply && c.threshold !== null)
      applyThreshold(e, c.threshold, {
        cameraId: a.camera ?? null,
        actor: 'cli',
        far,
      });
    g.out.result(out, () =>
      c.needs
        ? `${c.needs} (now ${c.genuine_pairs} genuine and ${c.impostor_pairs} impostor comparisons.)`
        : [
            `From ${c.genuine_pairs} genuine and ${c.impostor_pairs} impostor comparisons on this site:`,
            `  threshold for a false-accept rate of ${far}: ${c.threshold} (members accepted there: ${(c.expected_accept_rate! * 100).toFixed(1)} %)`,
            `  current threshold: ${current}`,
            a.apply
              ? `  applied ${a.camera ? `to camera ${a.camera}` : 'globally'}.`
              : '  run again with --apply to use it.',
          ].join('\n'),
    );
    return c.needs ? 1 : 0;
  });
}
