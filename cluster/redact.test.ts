import { test, expect } from '@playwright/test';
import { clearSecrets, redact, redactValue, registerSecret, REDACTED } from './redact.js';

test.afterEach(() => clearSecrets());

test('a registered secret disappears from any text', () => {
  const token = 'a3f1c9e0b2d4f6a8c0e2b4d6f8a0c2e4';
  registerSecret(token);
  expect(redact(`curl -H "x: ${token}" and again ${token}.`)).toBe(`curl -H "x: ${REDACTED}" and again ${REDACTED}.`);
});

test('secrets found by shape are masked even when nobody registered them', () => {
  expect(redact('Authorization: token abcdef0123456789')).toBe(`Authorization: token ${REDACTED}`);
  expect(redact('GET /hub/api/users?token=abcdef0123456789&x=1')).toBe(`GET /hub/api/users?token=${REDACTED}&x=1`);
  expect(redact('JUPYTERHUB_API_TOKEN=abcdef0123456789')).toBe(`JUPYTERHUB_API_TOKEN=${REDACTED}`);
  expect(redact('hub_api_token: 0123456789abcdef')).toBe(`hub_api_token: ${REDACTED}`);
});

test('ordinary words and short values are left alone', () => {
  registerSecret('short');
  expect(redact('a short line with a token word')).toBe('a short line with a token word');
});

test('redactValue masks secret-named keys and registered secrets in nested values', () => {
  registerSecret('0123456789abcdef0123');
  const masked = redactValue({ hubApiToken: 'anything', nested: { url: 'http://x/?q=0123456789abcdef0123' }, list: ['0123456789abcdef0123'], port: 8000 });
  expect(masked).toEqual({ hubApiToken: REDACTED, nested: { url: `http://x/?q=${REDACTED}` }, list: [REDACTED], port: 8000 });
});
