// @vitest-environment jsdom
import { User, UserManager } from 'oidc-client-ts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../config';
import { POPUP_ARGS, SigninStateStore, isRedirectAnswer, logout, popupWasBlocked, userManagerSettings } from './oidc';

const origin = 'http://shop.test';
const metadata = {
  issuer: `${origin}/auth`,
  authorization_endpoint: `${origin}/auth/authorize`,
  token_endpoint: `${origin}/auth/token`,
  jwks_uri: `${origin}/auth/jwks`,
  end_session_endpoint: `${origin}/auth/logout`,
};

function manager(overrides = {}) {
  return new UserManager({ ...userManagerSettings(defaultConfig(origin), origin), metadata, ...overrides });
}

const aUser = () =>
  new User({
    access_token: 'header.payload.sig',
    refresh_token: 'refresh-123',
    id_token: 'id-456',
    token_type: 'Bearer',
    profile: { sub: 'u1', iss: metadata.issuer, aud: 'ui-client', exp: 0, iat: 0 },
    expires_at: Math.floor(Date.now() / 1000) + 900,
  });

afterEach(() => {
  localStorage.clear();
  sessionStorage.clear();
});

describe('OIDC settings', () => {
  it('uses the built-in dev issuer at /auth and ui-client by default', () => {
    const s = userManagerSettings(defaultConfig(origin), origin);
    expect(s.authority).toBe(`${origin}/auth`);
    expect(s.client_id).toBe('ui-client');
    expect(s.response_type).toBe('code');
    expect(s.redirect_uri).toBe(`${origin}/callback`);
    expect(s.automaticSilentRenew).toBe(true);
  });

  it('keeps the signed-in user in memory only: nothing lands in localStorage or sessionStorage', async () => {
    const um = manager();
    await um.storeUser(aUser());
    expect((await um.getUser())?.access_token).toBe('header.payload.sig');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    // A fresh manager (a page reload) has no user to restore.
    expect(await manager().getUser()).toBeNull();
  });

  it('a pop-up sign-in sends PKCE S256 and keeps the verifier out of Web Storage', async () => {
    let navigatedTo = '';
    const fakePopup = {
      closed: false,
      focus: () => undefined,
      close() {
        this.closed = true;
      },
      location: {
        replace(url: string) {
          navigatedTo = url;
          fakePopup.closed = true; // the user closes it: the promise rejects
        },
      },
    };
    vi.spyOn(window, 'open').mockReturnValue(fakePopup as unknown as Window);
    const um = manager();
    await expect(um.signinPopup(POPUP_ARGS)).rejects.toThrow(/closed/i);
    const url = new URL(navigatedTo);
    expect(url.origin + url.pathname).toBe(metadata.authorization_endpoint);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('client_id')).toBe('ui-client');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('logout tells the issuer (end-session POST with the refresh token) and forgets the user', async () => {
    const um = manager();
    await um.storeUser(aUser());
    const fetchMock = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => new Response(null, { status: 204 }));
    const told = await logout(um, defaultConfig(origin), fetchMock as unknown as typeof fetch);
    expect(told).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(String(url)).toBe(metadata.end_session_endpoint);
    expect(init?.method).toBe('POST');
    const body = new URLSearchParams(String(init?.body));
    expect(body.get('refresh_token')).toBe('refresh-123');
    expect(body.get('client_id')).toBe('ui-client');
    expect(body.get('id_token_hint')).toBe('id-456');
    expect(await um.getUser()).toBeNull();
  });

  it('logout still forgets the user locally when the issuer is unreachable', async () => {
    const um = manager();
    await um.storeUser(aUser());
    const told = await logout(um, defaultConfig(origin), (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch);
    expect(told).toBe(false);
    expect(await um.getUser()).toBeNull();
  });
});

describe('sign-in state', () => {
  it('keeps a pop-up or silent sign-in\'s state in memory, and only a redirect sign-in\'s in sessionStorage', async () => {
    const store = new SigninStateStore(sessionStorage);
    await store.set('p1', JSON.stringify({ id: 'p1', request_type: 'si:p', data: { code_verifier: 'v' } }));
    await store.set('s1', JSON.stringify({ id: 's1', request_type: 'si:s' }));
    expect(sessionStorage.length).toBe(0);
    await store.set('r1', JSON.stringify({ id: 'r1', request_type: 'si:r' }));
    expect(sessionStorage.length).toBe(1);
    expect(isRedirectAnswer('r1', sessionStorage)).toBe(true);
    expect(isRedirectAnswer('p1', sessionStorage)).toBe(false);
    expect((await store.getAllKeys()).sort()).toEqual(['p1', 'r1', 's1']);
    expect(JSON.parse((await store.remove('r1'))!).id).toBe('r1');
    expect(sessionStorage.length).toBe(0);
    expect(await store.get('p1')).toContain('code_verifier');
    // A new page (after a reload) has only what outlives it: nothing, once the redirect came back.
    expect(await new SigninStateStore(sessionStorage).get('p1')).toBeNull();
  });

  it('a blocked pop-up is told from one the user closed', () => {
    expect(popupWasBlocked(new Error('Attempted to navigate on a disposed window'))).toBe(true);
    expect(popupWasBlocked(new Error('Popup closed by user'))).toBe(false);
  });

  it('signs in silently on the same callback page, with prompt=none', () => {
    const s = userManagerSettings(defaultConfig(origin), origin);
    expect(s.silent_redirect_uri).toBe(`${origin}/callback`);
  });
});

describe('silent renew', () => {
  it('renews through the refresh token (no iframe) and keeps the new tokens in memory only', async () => {
    const um = manager();
    await um.storeUser(aUser());
    const bodies: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (_input, init) => {
      bodies.push(String(init?.body));
      return Response.json({ access_token: 'new.access.token', refresh_token: 'refresh-789', token_type: 'Bearer', expires_in: 900 });
    });
    const loaded = vi.fn();
    um.events.addUserLoaded(loaded);
    const renewed = await um.signinSilent();
    expect(renewed?.access_token).toBe('new.access.token');
    expect(renewed?.refresh_token).toBe('refresh-789');
    const sent = new URLSearchParams(bodies[0]);
    expect(sent.get('grant_type')).toBe('refresh_token');
    expect(sent.get('refresh_token')).toBe('refresh-123');
    expect(loaded).toHaveBeenCalledTimes(1); // AuthProvider swaps the token on this event
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });
});
