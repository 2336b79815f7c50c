/** Runtime configuration: defaults for the built-in dev issuer, overridable by `/config.json`. */
export interface AppConfig {
  /** OIDC issuer URL (authority). Default `${origin}/auth`. */
  authority: string;
  clientId: string;
  scope: string;
  /** API prefix; '' = same origin as the SPA. */
  apiBaseUrl: string;
  /**
   * 'popup' (default) keeps even the PKCE verifier in memory: nothing auth-related ever touches
   * Web Storage. 'redirect' is for browsers that block pop-ups; it keeps only the short-lived PKCE
   * state (never a token) in sessionStorage during the round trip to the issuer.
   */
  loginMode: 'popup' | 'redirect';
}

export function defaultConfig(origin: string): AppConfig {
  return {
    authority: `${origin}/auth`,
    clientId: 'ui-client',
    scope: 'openid profile email',
    apiBaseUrl: '',
    loginMode: 'popup',
  };
}

/** Merge a parsed config.json over the defaults, ignoring unknown keys and wrong types. */
export function mergeConfig(base: AppConfig, raw: unknown): AppConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return base;
  const r = raw as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' && (r[k] as string).trim() !== '' ? (r[k] as string).trim() : undefined);
  const authority = str('authority') ?? str('oidcAuthority') ?? str('issuer');
  const mode = str('loginMode');
  return {
    authority: authority ? authority.replace(/\/$/, '') : base.authority,
    clientId: str('clientId') ?? str('client_id') ?? base.clientId,
    scope: str('scope') ?? base.scope,
    apiBaseUrl: typeof r.apiBaseUrl === 'string' ? r.apiBaseUrl.replace(/\/$/, '') : base.apiBaseUrl,
    loginMode: mode === 'redirect' || mode === 'popup' ? mode : base.loginMode,
  };
}

/**
 * Load `/config.json` if the deployment provides one. A missing file, an HTML SPA fallback page
 * or bad JSON all mean "use the defaults".
 */
export async function loadConfig(origin = window.location.origin, fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  const base = defaultConfig(origin);
  try {
    const res = await fetchImpl('/config.json', { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return base;
    return mergeConfig(base, await res.json());
  } catch {
    return base;
  }
}
