// The bridge between the sandboxed page and main. It exposes the desk API of shared/api as
// `window.carrel` (a DeskClient over one IPC channel) and nothing else: the page never gets
// ipcRenderer or any Node API, only the functions built from the contract's method names.
import { contextBridge, ipcRenderer } from 'electron';
import { createIpcDeskClient } from '../shared/api/client.js';

contextBridge.exposeInMainWorld('carrel', createIpcDeskClient(ipcRenderer, __CARREL_VERSION__));
