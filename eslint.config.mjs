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

export default withNuxt({
  ignores: ['drizzle/**', 'bench/results.json'],
}, {
  rules: {
    '@typescript-eslint/no-explicit-any': 'off',
  },
})
