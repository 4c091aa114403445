import { useEffect, useState } from 'react';
import { ApiError } from './api.js';
import { useAuth } from './auth.js';

export type RequestState<T> =
  | { status: 'loading'; data?: undefined; error?: undefined }
  | { status: 'ok'; data: T; error?: undefined }
  | { status: 'error'; data?: undefined; error: ApiError };

/**
 * Runs `load` whenever `key` changes, aborting the previous run, so a fast typist never sees an
 * older answer replace a newer one. A 401 ends the login instead of showing an error.
 */
export function useRequest<T>(key: string, load: (signal: AbortSignal) => Promise<T>): RequestState<T> {
  // The answer is kept with the key it answers: on the render where `key` changes, before the
  // effect below runs, the previous key's answer must not show as this key's (a pager would pair
  // the old page's rows with the new page's cursor).
  const [answer, setAnswer] = useState<{ key: string; state: RequestState<T> }>({ key, state: { status: 'loading' } });
  const { expire } = useAuth();
  useEffect(() => {
    const abort = new AbortController();
    setAnswer({ key, state: { status: 'loading' } });
    load(abort.signal).then(
      (data) => {
        if (!abort.signal.aborted) setAnswer({ key, state: { status: 'ok', data } });
      },
      (reason: unknown) => {
        if (abort.signal.aborted) return;
        const error =
          reason instanceof ApiError
            ? reason
            : new ApiError(0, 'client', reason instanceof Error ? reason.message : String(reason));
        if (error.status === 401) expire();
        setAnswer({ key, state: { status: 'error', error } });
      },
    );
    return () => abort.abort();
    // `load` is a fresh closure on every render; `key` names what it loads, so only `key` re-runs it.
  }, [key]);
  return answer.key === key ? answer.state : { status: 'loading' };
}
