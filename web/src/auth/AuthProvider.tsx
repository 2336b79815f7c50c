import { UserManager, type User } from 'oidc-client-ts';
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { AppConfig } from '../config';
import { AUTH_CHANNEL, POPUP_ARGS, SILENT_SIGNIN_ARGS, logout, popupWasBlocked, userManagerSettings, type AuthBroadcast } from './oidc';
import { authReducer, initialAuthState, toSessionUser, type AuthState } from './state';

export interface AuthContextValue extends AuthState {
  config: AppConfig;
  /**
   * Opens the issuer's login: a pop-up (a redirect when configured, or when the browser blocks the pop-up).
   * Resolves true once signed in.
   */
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

/** Exported for tests that render with a given session; the app uses AuthProvider. */
export const AuthContext = createContext<AuthContextValue | null>(null);

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
  // Tells the app's other tabs (same origin) that this one signed in or out; open while the provider is mounted.
  const tabsRef = useRef<BroadcastChannel | null>(null);
  const tellTabs = useCallback((message: AuthBroadcast) => tabsRef.current?.postMessage(message), []);
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
    // Signed in silently if the issuer's sign-in session lives (prompt=none in a hidden frame); the user then
    // arrives through the `loaded` event. No session (login_required), or no answer in time: signed out.
    const silently = async () => {
      try {
        await um.signinSilent(SILENT_SIGNIN_ARGS);
      } catch {
        dispatch({ type: 'ready' });
      }
    };
    um.events.addUserLoaded(loaded);
    um.events.addUserUnloaded(unloaded);
    um.events.addSilentRenewError(renewFailed);
    um.events.addAccessTokenExpired(renewFailed);
    const tabs = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(AUTH_CHANNEL);
    tabsRef.current = tabs;
    tabs?.addEventListener('message', (e: MessageEvent) => {
      const message = e.data as AuthBroadcast;
      if (message === 'signed-out') {
        // Another tab signed out, which ended the issuer's session: this tab follows.
        tokenRef.current = null;
        void um.removeUser();
        dispatch({ type: 'signedOut' });
      } else if (message === 'signed-in' && !tokenRef.current) {
        void silently();
      }
    });
    // Tokens live in memory only: after a reload or in a new tab, the issuer's session is what signs us in again.
    // On /callback a redirect sign-in is being finished instead (CallbackPage).
    if (window.location.pathname === '/callback') dispatch({ type: 'ready' });
    else void silently();
    return () => {
      um.events.removeUserLoaded(loaded);
      um.events.removeUserUnloaded(unloaded);
      um.events.removeSilentRenewError(renewFailed);
      um.events.removeAccessTokenExpired(renewFailed);
      tabs?.close();
      if (tabsRef.current === tabs) tabsRef.current = null;
      um.stopSilentRenew();
    };
  }, [um, config.clientId]);

  const signIn = useCallback(async () => {
    dispatch({ type: 'signinStarted' });
    const redirect = async () => {
      const here = window.location.pathname + window.location.search;
      await um.signinRedirect({ state: { returnTo: here } });
      return false; // the page navigates away
    };
    try {
      if (config.loginMode === 'redirect') return await redirect();
      try {
        await um.signinPopup(POPUP_ARGS);
      } catch (e) {
        if (!popupWasBlocked(e)) throw e;
        return await redirect();
      }
      tellTabs('signed-in');
      return true; // userLoaded already dispatched
    } catch (e) {
      dispatch({ type: 'signinFailed', error: describe(e) });
      return false;
    }
  }, [um, tellTabs, config.loginMode]);

  const signOut = useCallback(async () => {
    tokenRef.current = null;
    await logout(um, config);
    tellTabs('signed-out');
    dispatch({ type: 'signedOut' });
    navigate('/');
  }, [um, tellTabs, config, navigate]);

  const completeRedirect = useCallback(async () => {
    const u = await um.signinRedirectCallback();
    tellTabs('signed-in');
    const returnTo = (u.state as { returnTo?: string } | undefined)?.returnTo;
    return returnTo && returnTo.startsWith('/') && !returnTo.startsWith('/callback') ? returnTo : '/';
  }, [um, tellTabs]);

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
