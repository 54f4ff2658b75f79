import { test, expect } from '@playwright/test';
import { parseCli } from './cli.js';

test('no flags: the local platform', () => {
  expect(parseCli([]).env).toEqual({ E2E_PLATFORM: 'local' });
});

test('flags become the E2E_* variables the harness reads', () => {
  const { env, passthrough } = parseCli(['--', '--platform', 'jetstream', '--context', 'course', '--dry-run', '--keep', '--', '--grep', 'Step 7']);
  expect(env).toEqual({ E2E_PLATFORM: 'jetstream', E2E_KUBE_CONTEXT: 'course', E2E_DRY_RUN: '1', E2E_KEEP: '1' });
  expect(passthrough).toEqual(['--grep', 'Step 7']);
});

test('an unknown platform is a clear error that lists the choices', () => {
  expect(() => parseCli(['--platform', 'minikube'])).toThrow('usage: unknown platform "minikube"; choose one of: local, kind, jetstream');
});

test('an unknown flag is an error with the usage', () => {
  expect(() => parseCli(['--fast'])).toThrow(/usage: Unknown option '--fast'[\s\S]*--platform <local\|kind\|jetstream>/);
});

test('cluster flags on the local platform are refused rather than ignored', () => {
  expect(() => parseCli(['--kubeconfig', '/x'])).toThrow('usage: --kubeconfig only apply to --platform kind or jetstream');
});

test('a variant is checked before anything starts', () => {
  expect(parseCli(['--variant', 'ngshare-sqlalchemy2']).env.E2E_VARIANT).toBe('ngshare-sqlalchemy2');
  expect(() => parseCli(['--variant', 'broken-on-purpose'])).toThrow(/usage: unknown variant "broken-on-purpose"; choose from: without-nbgrader/);
});

test('--update-expected is refused at once in CI', () => {
  const ci = process.env.CI;
  process.env.CI = 'true';
  try {
    expect(() => parseCli(['--update-expected'])).toThrow(/refused in CI/);
  } finally {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  }
});
