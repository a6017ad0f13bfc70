// The bridge between the sandboxed page and main. It exposes the contract of shared/api.ts
// as `window.carrel` and nothing else: the page never gets ipcRenderer or any Node API.
import { contextBridge } from 'electron';
import type { CarrelBridge } from '../shared/api.js';

const bridge: CarrelBridge = {
  version: __CARREL_VERSION__,
};

contextBridge.exposeInMainWorld('carrel', bridge);
