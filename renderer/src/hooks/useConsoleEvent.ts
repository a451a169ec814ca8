import { useEffect, useRef } from 'react';
import type { ConsoleEvent } from '../../../main/contract/contract.js';
import { api } from '../api.js';

export type EventOf<T extends ConsoleEvent['type']> = Extract<ConsoleEvent, { type: T }>;

/** Subscribes to one kind of live event for the component's lifetime. */
export function useConsoleEvent<T extends ConsoleEvent['type']>(
  type: T,
  handler: (e: EventOf<T>) => void,
): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.type === type) ref.current(e as EventOf<T>);
      }),
    [type],
  );
}
