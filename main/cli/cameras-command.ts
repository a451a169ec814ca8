import { addCameraRecord, removeCameraRecord } from '../services/cameras.js';
import { publicCamera } from '../store/cameras.js';
import { UsageError } from './output.js';
import type { GlobalOptions } from './vigil.js';
import { withEngine } from './with-engine.js';

export interface CameraFlags {
  id?: string;
  name?: string;
  url?: string;
  location?: string;
  loop: boolean;
}

/** Camera CRUD straight on the store, so it works whether or not a server is running. */
export async function runCameras(g: GlobalOptions, args: string[], f: CameraFlags): Promise<number> {
  const [sub, id] = args;
  return withEngine(g, (engine) => {
    switch (sub) {
      case 'add': {
        if (!f.id || !f.name || !f.url)
          throw new UsageError('cameras add needs --id ID --name NAME --url URL');
        const cam = addCameraRecord(engine, 'cli', {
          id: f.id,
          name: f.name,
          url: f.url,
          location: f.location ?? null,
          loop: f.loop,
        });
        const out = publicCamera(cam);
        g.out.result(out, () => `Added camera ${out.camera_id} (${out.name}) at ${out.url}.`);
        return 0;
      }
      case 'list': {
        const cams = engine.store.cameras.list().map(publicCamera);
        g.out.result(cams, () =>
          cams.length === 0
            ? 'No cameras.'
            : cams.map((c) => `${c.camera_id}  ${c.name}  ${c.url}`).join('\n'),
        );
        return 0;
      }
      case 'remove': {
        if (!id) throw new UsageError('cameras remove needs a camera id');
        removeCameraRecord(engine, 'cli', id);
        g.out.result({ camera_id: id, removed: true }, () => `Removed camera ${id}.`);
        return 0;
      }
      default:
        throw new UsageError('cameras takes add, list or remove ID');
    }
  });
}
