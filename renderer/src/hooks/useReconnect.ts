import { useEffect, useRef } from 'react';
import { connectionState, onConnection } from '../api.js';

/** Runs `f` each time the engine connection comes back after being lost (pages refetch). */
export function useOnReconnect(f: () => void): void {
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => {
    // A page opened while the engine is away counts as having lost it: it refetches on return.
    let lost = connectionState() !== 'open';
    return onConnection((s) => {
      if (s !== 'open') lost = true;
      else if (lost) {
        lost = false;
        ref.current();
      }
    });
  }, []);
}
