// The desk client and the page's store, handed down the component tree.
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { DeskClient } from '../../shared/api/index.js';
import type { DeskState, DeskStore } from '../state/store.js';

const DeskContext = createContext<{ client: DeskClient; store: DeskStore } | null>(null);

export function DeskProvider(props: { client: DeskClient; store: DeskStore; children: ReactNode }) {
  return (
    <DeskContext.Provider value={{ client: props.client, store: props.store }}>
      {props.children}
    </DeskContext.Provider>
  );
}

function useDeskContext() {
  const value = useContext(DeskContext);
  if (!value) throw new Error('useDesk outside <DeskProvider>');
  return value;
}

/** The desk API. */
export function useDesk(): DeskClient {
  return useDeskContext().client;
}

/** A piece of the page's state; re-renders when that piece changes. */
export function useDeskState<T>(select: (state: DeskState) => T): T {
  return useStore(useDeskContext().store, select);
}
