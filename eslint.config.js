// Flat config for every package. Module boundaries follow DESIGN.md and are enforced here, not by
// habit: protocol and options depend on nothing; server and client on protocol and options; loadgen
// on client, protocol and options.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** The boundary rule with these dependency constraints (a later config's rule replaces the earlier one whole). */
function boundaries(depConstraints) {
  return ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }];
}

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'reports/**', 'bench/**', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries([
        { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: [] },
        { sourceTag: 'scope:options', onlyDependOnLibsWithTags: [] },
        { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:options'] },
        { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:options'] },
        { sourceTag: 'scope:loadgen', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:options', 'scope:client'] },
        // Workspace scripts (demo, bench, lab) drive every package; nothing depends on them.
        { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:options', 'scope:server', 'scope:client', 'scope:loadgen'] },
      ]),
    },
  },
  {
    // Tests of the client and the load generator run against a real in-process server: a test-only
    // dependency (devDependencies), never one of their shipped modules.
    files: ['packages/client/test/**', 'packages/loadgen/test/**', 'packages/client/src/**/*.test.ts', 'packages/loadgen/src/**/*.test.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries([
        { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:options', 'scope:server'] },
        { sourceTag: 'scope:loadgen', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:options', 'scope:client', 'scope:server'] },
      ]),
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // noUncheckedIndexedAccess is on: `buf[i]!` after a bounds check is the idiom, not a smell.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  tseslint.configs.disableTypeChecked,
];
