import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, type Me } from './api.js';

interface AuthState {
  /** `undefined` while the first check runs; `null` when logged out. */
  me: Me | null | undefined;
  /** Words for a failed first check (the collector unreachable...), shown instead of the login form. */
  error: string | undefined;
  /** The user logged out on purpose: the login page should not offer to return to where they were. */
  loggedOut: boolean;
  login(username: string, password: string): Promise<void>;
  setup(token: string, username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** After a 401 mid-session: drop the user so the app shows the login page. */
  expire(): void;
}

const AuthContext = createContext<AuthState | undefined>(undefined);

/** The login check asked for as the app starts, before React has rendered (`startLoginCheck`). */
let earlyCheck: Promise<Me | null> | undefined;

/**
 * Ask who is logged in now, as the app starts, rather than once the first render has run its
 * effects: a session link's page waits for the answer (issue 19). The provider takes it once.
 */
export function startLoginCheck(): void {
  earlyCheck = api.me();
  // The provider reports a failure; until it takes the answer nobody else may be listening.
  earlyCheck.catch(() => {});
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string>();
  const [loggedOut, setLoggedOut] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    const check = earlyCheck ?? api.me(abort.signal);
    earlyCheck = undefined;
    check.then(
      (value) => setMe(value),
      (reason: unknown) => {
        if (abort.signal.aborted) return;
        setError(reason instanceof ApiError ? reason.message : 'Could not reach the collector.');
        setMe(null);
      },
    );
    return () => abort.abort();
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    setMe(await api.login(username, password));
    setError(undefined);
    setLoggedOut(false);
  }, []);
  const setup = useCallback(async (token: string, username: string, password: string) => {
    setMe(await api.setup(token, username, password));
    setError(undefined);
  }, []);
  const logout = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setLoggedOut(true);
      setMe(null);
    }
  }, []);
  const expire = useCallback(() => setMe(null), []);

  const value = useMemo(
    () => ({ me, error, loggedOut, login, setup, logout, expire }),
    [me, error, loggedOut, login, setup, logout, expire],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error('[@reprise/collector admin] useAuth() needs <AuthProvider> above it');
  return value;
}
