import { UserManager, type User } from 'oidc-client-ts';
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { AppConfig } from '../config';
import { POPUP_ARGS, logout, userManagerSettings } from './oidc';
import { authReducer, initialAuthState, toSessionUser, type AuthState } from './state';

export interface AuthContextValue extends AuthState {
  config: AppConfig;
  /** Opens the issuer's login (pop-up, or redirect when configured). Resolves true once signed in. */
  signIn: () => Promise<boolean>;
  signOut: () => Promise<void>;
  /** An API call answered 401 although a token was sent. */
  markExpired: () => void;
  dismissError: () => void;
  /** Latest access token; read at request time. */
  getAccessToken: () => string | null;
  /** Finish a redirect-mode login on /callback; resolves to the path to return to. */
  completeRedirect: () => Promise<string>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

function describe(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/popup.*(closed|blocked)|window.*closed/i.test(msg)) return 'The sign-in window was closed before signing in finished.';
  if (/popup|window\.open|disposed window/i.test(msg)) return 'Your browser blocked the sign-in window. Allow pop-ups for this site and try again.';
  if (/fetch|network/i.test(msg)) return 'The sign-in service could not be reached. Try again in a moment.';
  return `Signing in failed: ${msg}`;
}

export function AuthProvider({ config, children }: { config: AppConfig; children: ReactNode }) {
  const navigate = useNavigate();
  const um = useMemo(() => new UserManager(userManagerSettings(config, window.location.origin)), [config]);
  const [state, dispatch] = useReducer(authReducer, initialAuthState);
  const tokenRef = useRef<string | null>(null);

  useEffect(() => {
    const loaded = (u: User) => {
      tokenRef.current = u.access_token;
      dispatch({ type: 'userLoaded', user: toSessionUser(u, config.clientId) });
    };
    const unloaded = () => {
      tokenRef.current = null;
    };
    const renewFailed = () => {
      tokenRef.current = null;
      dispatch({ type: 'expired' });
      void um.removeUser();
    };
    um.events.addUserLoaded(loaded);
    um.events.addUserUnloaded(unloaded);
    um.events.addSilentRenewError(renewFailed);
    um.events.addAccessTokenExpired(renewFailed);
    // Tokens live in memory only, so there is never a stored user to restore after a reload.
    void um.getUser().then((u) => {
      if (u && !u.expired) loaded(u);
      else dispatch({ type: 'ready' });
    });
    return () => {
      um.events.removeUserLoaded(loaded);
      um.events.removeUserUnloaded(unloaded);
      um.events.removeSilentRenewError(renewFailed);
      um.events.removeAccessTokenExpired(renewFailed);
      um.stopSilentRenew();
    };
  }, [um, config.clientId]);

  const signIn = useCallback(async () => {
    dispatch({ type: 'signinStarted' });
    try {
      if (config.loginMode === 'redirect') {
        const here = window.location.pathname + window.location.search;
        await um.signinRedirect({ state: { returnTo: here } });
        return false; // the page navigates away
      }
      await um.signinPopup(POPUP_ARGS);
      return true; // userLoaded already dispatched
    } catch (e) {
      dispatch({ type: 'signinFailed', error: describe(e) });
      return false;
    }
  }, [um, config.loginMode]);

  const signOut = useCallback(async () => {
    tokenRef.current = null;
    await logout(um, config);
    dispatch({ type: 'signedOut' });
    navigate('/');
  }, [um, config, navigate]);

  const completeRedirect = useCallback(async () => {
    const u = await um.signinRedirectCallback();
    const returnTo = (u.state as { returnTo?: string } | undefined)?.returnTo;
    return returnTo && returnTo.startsWith('/') && !returnTo.startsWith('/callback') ? returnTo : '/';
  }, [um]);

  const value = useMemo<AuthContextValue>(
    () => ({
      ...state,
      config,
      signIn,
      signOut,
      completeRedirect,
      markExpired: () => {
        tokenRef.current = null;
        dispatch({ type: 'expired' });
        void um.removeUser();
      },
      dismissError: () => dispatch({ type: 'dismissError' }),
      getAccessToken: () => tokenRef.current,
    }),
    [state, config, signIn, signOut, completeRedirect, um],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
