import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, modelById, packByName } from '../catalogue/manifest.js';
import { resolveModel } from '../catalogue/resolve.js';
import { CUDA_INSTALL_COMMAND, gpuProviders } from './gpu.js';

describe('GPU providers in vigil doctor', () => {
  it("names onnxruntime-node's own CUDA install option, which its install script reads", () => {
    const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const script = readFileSync(join(ortDir, 'script', 'install-utils.js'), 'utf8');
    // If onnxruntime-node renames its switch, the sentence doctor prints would be wrong: fail here.
    expect(script).toContain('process.env.ONNXRUNTIME_NODE_INSTALL');
    expect(script).toMatch(/case 'cuda12'|cuda12/);
    expect(CUDA_INSTALL_COMMAND).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 .*npm rebuild onnxruntime-node/);
  });

  it('reports each provider of this platform, tried with a real model, and how to enable it', async () => {
    const pack = packByName('default', loadManifest());
    const detector = resolveModel(modelById(pack.detector), undefined);
    const reports = await gpuProviders(new Uint8Array(readFileSync(detector.path)));
    if (process.platform === 'linux') {
      const cuda = reports.find((r) => r.provider === 'cuda')!;
      expect(cuda).toBeDefined();
      if (!existsSync('/proc/driver/nvidia/version')) {
        expect(cuda.usable).toBe(false);
        expect(cuda.detail).toMatch(/no NVIDIA driver/);
        expect(cuda.fix).toContain(CUDA_INSTALL_COMMAND);
      } else if (!cuda.installed) {
        expect(cuda.fix).toBe(CUDA_INSTALL_COMMAND);
      }
      if (cuda.usable) expect(cuda.fix).toBeNull();
    }
    for (const r of reports) expect(r.usable ? r.fix === null : !!r.fix).toBe(true);
  });
});
