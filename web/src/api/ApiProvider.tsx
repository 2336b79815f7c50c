import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { useAuth } from '../auth/AuthProvider';
import { ApiClient } from './client';
import { createApi, type Api } from './endpoints';

const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

export function ApiProvider({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const authRef = useRef(auth);
  authRef.current = auth;
  const api = useMemo(
    () =>
      createApi(
        new ApiClient({
          baseUrl: auth.config.apiBaseUrl,
          getAccessToken: () => authRef.current.getAccessToken(),
          onUnauthorized: () => authRef.current.markExpired(),
        }),
      ),
    [auth.config.apiBaseUrl],
  );
  // The CSRF token is bound to the user.
  const sub = auth.user?.sub ?? null;
  useEffect(() => api.client.resetCsrf(), [api, sub]);
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}
