import type { Engine } from '../engine/engine.js';
import type { CameraChanges, CameraRow, NewCamera } from '../store/cameras.js';

/*
 * Camera changes, whoever makes them (console, `vigil cameras`): validated by the store (URL,
 * id), audited with the same action names, and published to the settings in memory, so a
 * camera's own thresholds apply at its next decision. A running pipeline starts, restarts or
 * stops the camera at its next sync (at once from the console, within 2 s from another process).
 */

export function addCameraRecord(engine: Engine, actor: string, camera: NewCamera): CameraRow {
  const store = engine.store;
  const row = store.transaction(() => {
    const c = store.cameras.add(camera);
    store.audit.append({ actor, action: 'camera_added', subject: c.camera_id });
    return c;
  }, 'immediate');
  engine.settings.refresh();
  return row;
}

export function changeCamera(engine: Engine, actor: string, id: string, changes: CameraChanges): CameraRow {
  const store = engine.store;
  const row = store.transaction(() => {
    const c = store.cameras.update(id, changes);
    store.audit.append({
      actor,
      action: 'camera_changed',
      subject: id,
      details: { fields: Object.keys(changes).join(',') },
    });
    return c;
  }, 'immediate');
  engine.settings.refresh();
  return row;
}

export function removeCameraRecord(engine: Engine, actor: string, id: string): void {
  const store = engine.store;
  store.transaction(() => {
    store.cameras.remove(id);
    store.audit.append({ actor, action: 'camera_removed', subject: id });
  }, 'immediate');
  engine.settings.refresh();
}
