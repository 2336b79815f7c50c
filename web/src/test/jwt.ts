const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsigned JWT-shaped string with the given claims (the UI never verifies signatures). */
export const fakeJwt = (claims: unknown) => `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2ln`;
