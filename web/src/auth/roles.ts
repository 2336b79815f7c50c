export type Role = 'customer' | 'admin' | (string & {});

/** Decode a JWT's payload without verifying it (the API verifies; the UI only reads claims). */
export function decodeJwtPayload(token: string | null | undefined): Record<string, unknown> | null {
  if (!token) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bin = atob(padded);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const json = new TextDecoder().decode(bytes);
    const payload: unknown = JSON.parse(json);
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  return [];
}

/**
 * Roles from claims: the dev issuer's `roles` array, Keycloak's `realm_access.roles`, and
 * Keycloak client roles under `resource_access[clientId].roles`.
 */
export function rolesFromClaims(claims: Record<string, unknown> | null | undefined, clientId = 'ui-client'): Role[] {
  if (!claims) return [];
  const out = new Set<string>(strings(claims.roles));
  const realm = claims.realm_access as { roles?: unknown } | undefined;
  if (realm && typeof realm === 'object') strings(realm.roles).forEach((r) => out.add(r));
  const resource = claims.resource_access as Record<string, { roles?: unknown }> | undefined;
  if (resource && typeof resource === 'object' && resource[clientId]) strings(resource[clientId].roles).forEach((r) => out.add(r));
  return [...out];
}

/** Roles of a signed-in user: the access token's claims first (what the API sees), then the ID token profile. */
export function rolesOf(user: { access_token?: string; profile?: Record<string, unknown> } | null | undefined, clientId?: string): Role[] {
  if (!user) return [];
  const fromAccess = rolesFromClaims(decodeJwtPayload(user.access_token), clientId);
  const fromProfile = rolesFromClaims(user.profile, clientId);
  return [...new Set([...fromAccess, ...fromProfile])];
}

export const isAdmin = (roles: readonly string[]) => roles.includes('admin');
