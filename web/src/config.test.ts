import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, mergeConfig } from './config';

describe('runtime config', () => {
  const base = defaultConfig('https://shop.example');

  it('defaults to the dev issuer on the same origin', () => {
    expect(base).toMatchObject({ authority: 'https://shop.example/auth', clientId: 'ui-client', apiBaseUrl: '', loginMode: 'popup' });
  });

  it('config.json can point at Keycloak', () => {
    const cfg = mergeConfig(base, { authority: 'https://idp.example/realms/bookstore/', clientId: 'web', loginMode: 'redirect', junk: 1 });
    expect(cfg).toMatchObject({ authority: 'https://idp.example/realms/bookstore', clientId: 'web', loginMode: 'redirect' });
    expect(mergeConfig(base, { loginMode: 'weird', authority: 42 })).toEqual(base);
    expect(mergeConfig(base, null)).toEqual(base);
  });

  it('a missing config.json, or the SPA fallback HTML, means defaults', async () => {
    const html = async () => new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html' } });
    expect(await loadConfig('https://shop.example', html as unknown as typeof fetch)).toEqual(base);
    const missing = async () => new Response('nope', { status: 404 });
    expect(await loadConfig('https://shop.example', missing as unknown as typeof fetch)).toEqual(base);
    const down = async () => {
      throw new TypeError('offline');
    };
    expect(await loadConfig('https://shop.example', down as unknown as typeof fetch)).toEqual(base);
    const json = async () => Response.json({ authority: 'https://kc.example/realms/r' });
    expect((await loadConfig('https://shop.example', json as unknown as typeof fetch)).authority).toBe('https://kc.example/realms/r');
  });
});
