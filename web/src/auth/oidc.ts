import { InMemoryWebStorage, WebStorageStateStore, type StateStore, type UserManager, type UserManagerSettings } from 'oidc-client-ts';
import type { AppConfig } from '../config';

/** Where a redirect sign-in's transient state waits while the page is away at the issuer. */
const REDIRECT_STATE_PREFIX = 'bookstore.pkce.';

/**
 * Where oidc-client-ts keeps a sign-in's transient state (PKCE verifier, nonce) while the issuer answers: this
 * window's memory, for pop-up and silent (hidden frame) sign-ins, whose answer comes back to this same page. Only
 * a redirect sign-in's state must outlive the page, which unloads on its way to the issuer: that state (never a
 * token) waits in sessionStorage and is removed when the redirect comes back.
 */
export class SigninStateStore implements StateStore {
  private readonly memory = new InMemoryWebStorage();
  constructor(private readonly session: Storage | undefined = globalThis.sessionStorage) {}

  async set(key: string, value: string): Promise<void> {
    if (isRedirectState(value) && this.session) this.session.setItem(REDIRECT_STATE_PREFIX + key, value);
    else this.memory.setItem(key, value);
  }
  async get(key: string): Promise<string | null> {
    return this.memory.getItem(key) ?? this.session?.getItem(REDIRECT_STATE_PREFIX + key) ?? null;
  }
  async remove(key: string): Promise<string | null> {
    const value = await this.get(key);
    this.memory.removeItem(key);
    this.session?.removeItem(REDIRECT_STATE_PREFIX + key);
    return value;
  }
  async getAllKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < this.memory.length; i++) keys.push(this.memory.key(i)!);
    for (let i = 0; this.session && i < this.session.length; i++) {
      const key = this.session.key(i);
      if (key?.startsWith(REDIRECT_STATE_PREFIX)) keys.push(key.slice(REDIRECT_STATE_PREFIX.length));
    }
    return keys;
  }
}

function isRedirectState(value: string): boolean {
  try {
    const type = (JSON.parse(value) as { request_type?: unknown }).request_type;
    return type === 'si:r' || type === 'so:r';
  } catch {
    return false;
  }
}

/** Whether an authorization answer (its `state`) belongs to a redirect sign-in this tab started. */
export function isRedirectAnswer(state: string | null, session: Storage | undefined = globalThis.sessionStorage): boolean {
  return !!state && !!session?.getItem(REDIRECT_STATE_PREFIX + state);
}

/**
 * oidc-client-ts settings: authorization code + PKCE S256 (the library's only code flow), tokens held in memory
 * only, silent renew through the refresh token. What survives a reload is the issuer's sign-in session (an HttpOnly
 * cookie of the issuer, out of this page's reach): on start the app signs in silently against it in a hidden frame
 * (`prompt=none`, answered on `/callback`).
 */
export function userManagerSettings(cfg: AppConfig, origin: string): UserManagerSettings {
  return {
    authority: cfg.authority,
    client_id: cfg.clientId,
    redirect_uri: `${origin}/callback`,
    popup_redirect_uri: `${origin}/callback`,
    silent_redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: cfg.scope,
    // Tokens never touch Web Storage.
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new SigninStateStore(),
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: 60,
    silentRequestTimeoutInSeconds: 15,
    monitorSession: false,
    loadUserInfo: false,
    filterProtocolClaims: true,
    revokeTokenTypes: ['refresh_token'],
    popupWindowFeatures: { width: 480, height: 680, location: true, toolbar: false },
  };
}

/**
 * End the session at the issuer, then forget it locally. Uses the revocation endpoint when the
 * issuer advertises one (Keycloak), and POSTs to the end-session endpoint (the dev issuer's
 * `POST /auth/logout`, which revokes the refresh token; Keycloak ends its session the same way).
 * Returns false when the issuer could not be told (the local session is cleared anyway).
 */
export async function logout(um: UserManager, cfg: AppConfig, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  const user = await um.getUser();
  let told = !user;
  try {
    if (user) {
      let revocation: string | undefined;
      let endSession: string | undefined;
      try {
        const md = await um.metadataService.getMetadata();
        revocation = md.revocation_endpoint;
        endSession = md.end_session_endpoint;
      } catch {
        /* discovery unreachable: fall through to the conventional path */
      }
      if (revocation && user.refresh_token) {
        try {
          await um.revokeTokens(['refresh_token']);
          told = true;
        } catch {
          /* try the end-session endpoint below */
        }
      }
      const url = endSession ?? `${cfg.authority.replace(/\/$/, '')}/logout`;
      const body = new URLSearchParams({ client_id: cfg.clientId });
      if (user.refresh_token) body.set('refresh_token', user.refresh_token);
      if (user.id_token) body.set('id_token_hint', user.id_token);
      try {
        const res = await fetchImpl(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
          credentials: new URL(url, globalThis.location?.href).origin === globalThis.location?.origin ? 'same-origin' : 'omit',
          redirect: 'manual',
        });
        // A redirect (opaque) or 2xx both mean the issuer accepted the logout.
        if (res.ok || res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) told = true;
      } catch {
        /* network failure: reported through the return value */
      }
    }
  } finally {
    await um.removeUser();
  }
  return told;
}

/** Arguments for signinPopup: closing the sign-in window returns the page to "signed out" instead of waiting forever. */
export const POPUP_ARGS = { popupAbortOnClose: true } as const;

/** How long a silent sign-in (hidden frame, `prompt=none`) may take before the page counts as signed out. */
export const SILENT_SIGNIN_ARGS = { silentRequestTimeoutInSeconds: 5 } as const;

/** Whether a pop-up sign-in failed because the browser blocked the pop-up (then a redirect sign-in is the way). */
export function popupWasBlocked(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /disposed window|blocked/i.test(message);
}

/** The channel the app's tabs tell each other about signing in and out on. */
export const AUTH_CHANNEL = 'bookstore-auth';
export type AuthBroadcast = 'signed-in' | 'signed-out';
