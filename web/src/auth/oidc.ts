import { InMemoryWebStorage, WebStorageStateStore, type UserManager, type UserManagerSettings } from 'oidc-client-ts';
import type { AppConfig } from '../config';

/**
 * oidc-client-ts settings: authorization code + PKCE S256 (the library's only code flow),
 * tokens held in memory only, silent renew through the refresh token.
 */
export function userManagerSettings(cfg: AppConfig, origin: string): UserManagerSettings {
  return {
    authority: cfg.authority,
    client_id: cfg.clientId,
    redirect_uri: `${origin}/callback`,
    popup_redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: cfg.scope,
    // Tokens never touch Web Storage: a reload signs the user out, by design.
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    // Popup mode keeps the PKCE verifier in this window's memory too. Redirect mode must survive the
    // page unload, so only there the transient request state goes to sessionStorage (no tokens).
    stateStore:
      cfg.loginMode === 'popup'
        ? new WebStorageStateStore({ store: new InMemoryWebStorage() })
        : new WebStorageStateStore({ store: globalThis.sessionStorage, prefix: 'bookstore.pkce.' }),
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
