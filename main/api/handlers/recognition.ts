import { applyThreshold, calibrate, siteScores } from '../../engine/site-calibration.js';
import { actorOf, type Handlers } from '../context.js';

export const recognitionHandlers: Pick<Handlers, 'recognition.calibrate'> = {
  'recognition.calibrate': (ctx, p) => {
    const camera = p.apply?.camera_id ?? undefined;
    const { engine } = ctx;
    const c = calibrate(siteScores(engine.store), p.far, engine.thresholds(camera).recognition);
    let applied: string | null = null;
    if (p.apply && c.threshold !== null) {
      applyThreshold(engine, c.threshold, {
        cameraId: camera ?? null,
        actor: actorOf(ctx),
        far: p.far,
      });
      applied = camera ?? 'global';
    }
    return { ...c, applied };
  },
};
