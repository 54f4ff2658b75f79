// Lint: typescript-eslint's recommended type-checked rules, with zero warnings allowed, and the
// architecture's one boundary as a rule: what is inside a platform driver (cluster/local/,
// cluster/kube/) is that driver's own. Everyone else reaches a platform through cluster/platform.ts
// (the interface and its abilities) and cluster/platforms.ts (the registry, which alone may
// import a driver, and only lazily).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const driverMessage = (driver) =>
  `this is the ${driver} driver's own: reach a platform through cluster/platform.ts (the interface and its abilities) or cluster/platforms.ts (the registry)`;
const forbidDriver = (driver, folder) => ({
  group: [`**/${folder}/*`, `**/${folder}/**`, `./${folder}/*`],
  message: driverMessage(driver),
});
const lazyDriverImport = (folder) => ({
  selector: `ImportExpression[source.value=/(^|\\/)${folder}\\//]`,
  message: 'only cluster/platforms.ts loads a driver',
});

export default tseslint.config(
  {
    ignores: ['node_modules/', 'e2e-output/', '.e2e/', 'test-results/', 'playwright-report/', '**/testdata/', 'bench/results/', 'eslint.config.js'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names fail the type check already (noUnusedLocals); `_name` marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An async method that awaits nothing still keeps the promise its interface makes (a Stack's homeOf).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['cluster/local/**', 'cluster/kube/**', 'cluster/platforms.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbidDriver('local', 'local'), forbidDriver('kind/jetstream', 'kube')] }],
      'no-restricted-syntax': ['error', lazyDriverImport('local'), lazyDriverImport('kube')],
    },
  },
  {
    files: ['cluster/local/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbidDriver('kind/jetstream', 'kube')] }],
      'no-restricted-syntax': ['error', lazyDriverImport('kube')],
    },
  },
  {
    files: ['cluster/kube/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [forbidDriver('local', 'local')] }],
      'no-restricted-syntax': ['error', lazyDriverImport('local')],
    },
  },
);
