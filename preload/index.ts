// The window's only door to the host: `window.sophon`, built from the contract.
// Nothing raw crosses (no ipcRenderer, no process): see sophon-api.ts.
import { contextBridge, ipcRenderer } from 'electron';
import { buildSophonApi } from './sophon-api.ts';

contextBridge.exposeInMainWorld('sophon', buildSophonApi(ipcRenderer));
