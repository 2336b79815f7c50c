import { describe, expect, it } from 'vitest';
import { customerLabel, orderRef } from './format';

describe('customerLabel', () => {
  it('shows a user name sub (dev issuer) as is', () => {
    expect(customerLabel('user4')).toBe('user4');
  });
  it('shortens a UUID sub (Keycloak) to a reference', () => {
    expect(customerLabel('6f1c2a9e-0b7d-4c1e-9f00-1234567890ab')).toBe('Customer #567890AB');
  });
  it('a missing sub is a dash', () => {
    expect(customerLabel(undefined)).toBe('—');
  });
});

describe('orderRef', () => {
  it('tells apart UUIDv7 order ids placed in the same minute (their leading digits are the time)', () => {
    expect(orderRef('01a2238d-abf0-712c-8c87-1942c74b518d')).toBe('#C74B518D');
    expect(orderRef('01a2238d-9940-7798-8459-6cb4055ba0a2')).toBe('#055BA0A2');
  });
});
