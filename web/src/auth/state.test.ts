import { describe, expect, it } from 'vitest';
import { authReducer, initialAuthState, toSessionUser, type AuthState, type SessionUser } from './state';
import { fakeJwt } from '../test/jwt';

const user: SessionUser = { sub: 's', name: 'user1', roles: ['customer'], isAdmin: false, accessToken: 't' };

describe('auth state machine', () => {
  it('loading → signedOut when no session exists (tokens are never restored from storage)', () => {
    expect(authReducer(initialAuthState, { type: 'ready' })).toEqual({ status: 'signedOut', user: null });
  });

  it('sign-in success and failure', () => {
    let s: AuthState = authReducer(initialAuthState, { type: 'ready' });
    s = authReducer(s, { type: 'signinStarted' });
    expect(s.status).toBe('signingIn');
    const failed = authReducer(s, { type: 'signinFailed', error: 'popup closed' });
    expect(failed).toMatchObject({ status: 'signedOut', error: 'popup closed' });
    s = authReducer(s, { type: 'userLoaded', user });
    expect(s).toEqual({ status: 'signedIn', user });
  });

  it('a 401 or failed renew while signed in means "session expired", remembering who', () => {
    const s = authReducer({ status: 'signedIn', user }, { type: 'expired' });
    expect(s).toEqual({ status: 'expired', user: null, lastName: 'user1' });
    // signing in again from there works; a failed attempt stays expired
    expect(authReducer(s, { type: 'signinFailed', error: 'x' }).status).toBe('expired');
    expect(authReducer(s, { type: 'userLoaded', user }).status).toBe('signedIn');
  });

  it('a 401 while signed out is not an expiry', () => {
    const s: AuthState = { status: 'signedOut', user: null };
    expect(authReducer(s, { type: 'expired' })).toBe(s);
  });

  it('sign-out clears the user', () => {
    expect(authReducer({ status: 'signedIn', user }, { type: 'signedOut' })).toEqual({ status: 'signedOut', user: null });
  });

  it('builds the session user with roles from the token', () => {
    const su = toSessionUser({
      access_token: fakeJwt({ sub: 'abc', roles: ['customer', 'admin'] }),
      expires_at: 123,
      profile: { sub: 'abc', preferred_username: 'admin1', email: 'a@example.test' },
    });
    expect(su).toMatchObject({ sub: 'abc', name: 'admin1', email: 'a@example.test', isAdmin: true, expiresAt: 123 });
    expect(toSessionUser({ access_token: 'x', profile: { sub: 'z' } }).name).toBe('Signed-in user');
  });
});
