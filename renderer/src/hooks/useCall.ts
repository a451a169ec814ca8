import { useCallback, useEffect, useRef, useState } from 'react';
import type { MethodName, Params, Result } from '../../../main/contract/contract.js';
import { ApiError, call } from '../api.js';
import { useOnReconnect } from './useReconnect.js';

export interface CallState<T> {
  data: T | null;
  /** The engine's sentence when the call failed. */
  error: string | null;
  loading: boolean;
  reload(): void;
}

/**
 * Calls `method` when mounted and whenever `deps` change (by default: the params' JSON).
 * Pass `params = null` to wait (nothing selected yet). Answers to superseded calls are dropped.
 */
export function useCall<M extends MethodName>(
  method: M,
  params: Params<M> | null,
  deps?: readonly unknown[],
): CallState<Result<M>> {
  const [data, setData] = useState<Result<M> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(params !== null);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const paramsRef = useRef(params);
  paramsRef.current = params;
  // One string stands for the deps, so the effect's own dependency list stays static (react-hooks).
  const key = JSON.stringify(deps ?? params);

  useEffect(() => {
    const p = paramsRef.current;
    const mine = ++seq.current;
    if (p === null) {
      setData(null);
      setError(null);
      setLoading(false);
      return;
    }
    setLoading(true);
    setError(null);
    call(method, p).then(
      (r) => {
        if (seq.current !== mine) return;
        setData(r);
        setLoading(false);
      },
      (e: unknown) => {
        if (seq.current !== mine) return;
        setError(e instanceof ApiError ? e.message : String(e));
        setLoading(false);
      },
    );
    // The caller chooses what re-runs the call (`deps`), not the params object's identity.
  }, [method, tick, key]);

  useEffect(
    () => () => {
      seq.current++;
    },
    [],
  );

  const reload = useCallback(() => setTick((t) => t + 1), []);
  // A page that lost the engine recovers by itself when it returns, without a Retry click.
  useOnReconnect(() => {
    if (paramsRef.current !== null) reload();
  });
  return { data, error, loading, reload };
}
