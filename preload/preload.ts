import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  ConsoleEvent,
  MethodName,
  Params,
  Result,
  RpcError,
  VigilApi,
} from '../main/contract/contract.js';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../main/contract/wire.js';

/**
 * The console's only door to the engine, as `window.vigil`: exactly the contract's two functions.
 * No ipcRenderer, no event objects, no Node: the page gets results and events, nothing it could
 * use to send on other channels (Electron security checklist, context isolation and IPC items).
 * Bundled to one CommonJS file (dist/preload/preload.cjs): a sandboxed preload cannot load ES
 * modules or anything from node_modules; from the contract come its types and the channel names
 * (wire.ts, plain constants).
 */

type Outcome = { ok: true; result: unknown } | { ok: false; error: RpcError };

const api: VigilApi = {
  async invoke<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const outcome = (await ipcRenderer.invoke(IPC_INVOKE_CHANNEL, { method, params })) as Outcome;
    if (outcome.ok) return outcome.result as Result<M>;
    // A plain object, not an Error: only an Error's message crosses the context bridge, and the
    // console needs the code (UNAUTHENTICATED ends the session) as well as the sentence.
    const { code, message, detail } = outcome.error;
    throw detail === undefined ? { code, message } : { code, message, detail };
  },

  onEvent(listener: (e: ConsoleEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent takes a function.');
    const forward = (_event: IpcRendererEvent, e: ConsoleEvent) => listener(e);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('vigil', api);
