import { describe, expect, it } from 'vitest';
import { customerLabel, orderRef } from './format';

describe('customerLabel', () => {
  it('shows a user name sub (dev issuer) as is', () => {
    expect(customerLabel('user4')).toBe('user4');
  });
  it('shortens a UUID sub (Keycloak) to a reference', () => {
    expect(customerLabel('6f1c2a9e-0b7d-4c1e-9f00-1234567890ab')).toBe('Customer #6F1C2A9E');
    expect(orderRef('6f1c2a9e-0b7d-4c1e-9f00-1234567890ab')).toBe('#6F1C2A9E');
  });
  it('a missing sub is a dash', () => {
    expect(customerLabel(undefined)).toBe('—');
  });
});
