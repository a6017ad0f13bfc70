// A list read from the desk that stays current: read when the screen shows it and again when
// main says one of the collections it reads changed (a scan here, a sync pull).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DeskClient, DeskError, DeskResult } from '../../shared/api/index.js';
import type { DeskCollectionName } from '../../shared/schemas/collections.js';
import { useDesk } from '../desk-client/desk-context.js';

export interface DeskQuery<T> {
  readonly data: T | undefined;
  readonly error: DeskError | null;
  readonly loading: boolean;
  reload(): void;
}

export function useDeskQuery<T>(
  load: (client: DeskClient) => Promise<DeskResult<T>>,
  /** The query's inputs: a change reads again. */
  key: string,
  collections: readonly DeskCollectionName[],
): DeskQuery<T> {
  const client = useDesk();
  const [state, setState] = useState<{
    data: T | undefined;
    error: DeskError | null;
    loading: boolean;
  }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  // Only the latest read may land: an older one finishing late must not overwrite it.
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    void loadRef.current(client).then((answer) => {
      if (mine !== generation.current) return;
      setState((previous) =>
        answer.ok
          ? { data: answer.value, error: null, loading: false }
          : { data: previous.data, error: answer.error, loading: false },
      );
    });
  }, [client]);

  useEffect(reload, [reload, key]);

  const watched = collections.join(',');
  useEffect(() => {
    const names = watched.split(',');
    const offData = client.on('data.changed', ({ collections: changed }) => {
      if (changed.some((name) => names.includes(name))) reload();
    });
    const offCrates = names.includes('crates') ? client.on('crates.changed', reload) : undefined;
    return () => {
      offData();
      offCrates?.();
    };
  }, [client, reload, watched]);

  return { ...state, reload };
}
