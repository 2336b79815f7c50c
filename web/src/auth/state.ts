import { isAdmin, rolesOf, type Role } from './roles';

export interface SessionUser {
  sub: string;
  name: string;
  email?: string;
  roles: Role[];
  isAdmin: boolean;
  accessToken: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
}

export type AuthStatus = 'loading' | 'signedOut' | 'signingIn' | 'signedIn' | 'expired';

export interface AuthState {
  status: AuthStatus;
  user: SessionUser | null;
  /** The name of whoever was signed in when the session expired (for the banner). */
  lastName?: string;
  error?: string;
}

export type AuthEvent =
  | { type: 'ready' }
  | { type: 'signinStarted' }
  | { type: 'signinFailed'; error: string }
  | { type: 'userLoaded'; user: SessionUser }
  | { type: 'signedOut' }
  | { type: 'expired' }
  | { type: 'dismissError' };

export const initialAuthState: AuthState = { status: 'loading', user: null };

/** The user-facing session state machine; oidc-client-ts events and API 401s are fed into it. */
export function authReducer(state: AuthState, ev: AuthEvent): AuthState {
  switch (ev.type) {
    case 'ready':
      return state.status === 'loading' ? { status: 'signedOut', user: null } : state;
    case 'signinStarted':
      return { ...state, status: 'signingIn', error: undefined };
    case 'signinFailed':
      return { ...state, status: state.user ? 'signedIn' : state.lastName ? 'expired' : 'signedOut', error: ev.error };
    case 'userLoaded':
      return { status: 'signedIn', user: ev.user };
    case 'signedOut':
      return { status: 'signedOut', user: null };
    case 'expired':
      // Only a live session can expire; a 401 while signed out is just "not signed in".
      if (state.status !== 'signedIn' || !state.user) return state;
      return { status: 'expired', user: null, lastName: state.user.name };
    case 'dismissError':
      return { ...state, error: undefined };
    default:
      return state;
  }
}

/** Minimal view of an oidc-client-ts User that toSessionUser needs. */
export interface OidcUserLike {
  access_token: string;
  expires_at?: number;
  profile: Record<string, unknown> & { sub: string };
}

export function toSessionUser(user: OidcUserLike, clientId?: string): SessionUser {
  const p = user.profile;
  const str = (k: string) => (typeof p[k] === 'string' && p[k] ? (p[k] as string) : undefined);
  const roles = rolesOf(user, clientId);
  return {
    sub: p.sub,
    name: str('preferred_username') ?? str('name') ?? str('email') ?? 'Signed-in user',
    email: str('email'),
    roles,
    isAdmin: isAdmin(roles),
    accessToken: user.access_token,
    expiresAt: user.expires_at,
  };
}
