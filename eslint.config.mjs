// @ts-check
import withNuxt from './.nuxt/eslint.config.mjs'

// eslint-flat-config-utils 3.2 (from @nuxt/eslint) calls Object.groupBy, which Node 20 lacks.
if (!Object.groupBy) {
  Object.groupBy = (items, key) => {
    const groups = Object.create(null)
    let index = 0
    for (const item of items) (groups[key(item, index++)] ??= []).push(item)
    return groups
  }
}

// The layering rule (docs/architecture.md): a path that names one of the server's folders, relatively
// (`../services/x`) or through an alias (`~~/server/services/x`).
/** @param {string} name @param {string} [except] a lookahead for what may follow `name/` */
const serverFolder = (name, except = '') => `(^(\\.\\.?/)+|^#server/|/server/)${name}(/${except}|$)`
/** @typedef {{ regex: string, message: string, allowTypeImports?: boolean }} Restriction */
/** @param {...Restriction} patterns @returns {['error', { patterns: Restriction[] }]} */
const restricted = (...patterns) => ['error', { patterns: [...patterns, climbing] }]
/** Imports say where, not how far (`#server/…`, `#shared/…`); repeated in every list, as a later list replaces an earlier one. */
const climbing = { regex: '^(\\.\\./){3,}', message: 'Import through #server/… or #shared/… instead of climbing three or more folders.' }

export default withNuxt({
  ignores: ['drizzle/**', 'bench/results*.json'],
}, {
  name: 'readable-diffs',
  // The pages and their parts follow when the i18n work that is changing them lands.
  ignores: ['pages/**', 'components/**', 'composables/**', 'middleware/**', 'app.vue', 'error.vue'],
  rules: {
    '@stylistic/max-len': ['error', {
      code: 140,
      ignoreStrings: true,
      ignoreTemplateLiterals: true,
      ignoreUrls: true,
      ignoreRegExpLiterals: true,
    }],
  },
}, {
  rules: {
    '@typescript-eslint/no-explicit-any': 'off',
    '@typescript-eslint/no-restricted-imports': restricted(),
  },
}, {
  name: 'layers/utils',
  files: ['server/utils/**'],
  rules: {
    '@typescript-eslint/no-restricted-imports': restricted(
      { regex: serverFolder('services'), message: 'server/utils holds request-free primitives: it imports no service (docs/architecture.md).' },
      { regex: serverFolder('database', '(?!schema$)'), message: 'server/utils does not reach the database: put code that does in server/services or server/database (docs/architecture.md).' },
      { regex: serverFolder('database/schema'), allowTypeImports: true, message: 'server/utils may name a row type (import type), never a table (docs/architecture.md).' },
      { regex: serverFolder('http'), message: 'server/utils does not import the request glue in server/http (docs/architecture.md).' },
    ),
  },
}, {
  name: 'layers/services',
  files: ['server/services/**'],
  rules: {
    '@typescript-eslint/no-restricted-imports': restricted(
      { regex: '^h3$', message: 'Services never see h3 or a request: take plain values, and let server/http or the route read the event (docs/architecture.md).' },
      { regex: serverFolder('http'), message: 'Services do not import the request glue in server/http (docs/architecture.md).' },
    ),
  },
})
