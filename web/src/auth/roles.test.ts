import { describe, expect, it } from 'vitest';
import { decodeJwtPayload, isAdmin, rolesFromClaims, rolesOf } from './roles';


import { fakeJwt } from '../test/jwt';

describe('JWT claims and roles', () => {
  it('decodes a base64url payload, including non-ASCII', () => {
    expect(decodeJwtPayload(fakeJwt({ sub: 'u1', name: 'Zoë' }))).toEqual({ sub: 'u1', name: 'Zoë' });
  });

  it('returns null for anything that is not a JWT', () => {
    expect(decodeJwtPayload(undefined)).toBeNull();
    expect(decodeJwtPayload('abc')).toBeNull();
    expect(decodeJwtPayload('a.!!!.c')).toBeNull();
    expect(decodeJwtPayload(`a.${Buffer.from('[1]').toString('base64url')}.c`)).toBeNull();
  });

  it('reads the dev issuer `roles` claim', () => {
    expect(rolesFromClaims({ roles: ['customer', 'admin'] })).toEqual(['customer', 'admin']);
  });

  it('reads Keycloak realm_access.roles and client roles', () => {
    const claims = { realm_access: { roles: ['customer', 'offline_access'] }, resource_access: { 'ui-client': { roles: ['admin'] }, other: { roles: ['x'] } } };
    expect(rolesFromClaims(claims).sort()).toEqual(['admin', 'customer', 'offline_access']);
  });

  it('ignores malformed role claims', () => {
    expect(rolesFromClaims({ roles: [1, null, 'customer'], realm_access: 'nope' })).toEqual(['customer']);
    expect(rolesFromClaims(null)).toEqual([]);
  });

  it('prefers the access token (what the API sees) and merges the ID-token profile', () => {
    const user = { access_token: fakeJwt({ sub: 'u', realm_access: { roles: ['admin'] } }), profile: { sub: 'u', roles: ['customer'] } };
    expect(rolesOf(user).sort()).toEqual(['admin', 'customer']);
    expect(isAdmin(rolesOf(user))).toBe(true);
    expect(isAdmin(rolesOf({ access_token: fakeJwt({ roles: ['customer'] }), profile: {} }))).toBe(false);
    expect(rolesOf(null)).toEqual([]);
  });
});
