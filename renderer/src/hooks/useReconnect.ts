import { useEffect, useRef } from 'react';
import { onConnection } from '../api.js';

/** Runs `f` each time the engine connection comes back after being lost (pages refetch). */
export function useOnReconnect(f: () => void): void {
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => {
    let lost = false;
    return onConnection((s) => {
      if (s !== 'open') lost = true;
      else if (lost) {
        lost = false;
        ref.current();
      }
    });
  }, []);
}
