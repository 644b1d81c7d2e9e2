import { LANGUAGES } from './languages'

/**
 * Plural forms by the language's own rules (Intl.PluralRules): a message "a | b | c" lists the forms in
 * the order of the language's `plural` categories (i18n/languages.ts).
 */
function pluralRule(code: string, categories: readonly Intl.LDMLPluralRule[]) {
  let rules: Intl.PluralRules | undefined
  return (choice: number, choicesLength: number) => {
    rules ??= new Intl.PluralRules(code)
    const index = categories.indexOf(rules.select(Math.abs(choice)))
    return Math.min(index < 0 ? categories.length - 1 : index, choicesLength - 1)
  }
}

// Read on every request on the server: made once.
const pluralRules = Object.fromEntries(LANGUAGES.map(({ code, plural }) => [code, pluralRule(code, plural)]))

export default defineI18nConfig(() => ({ pluralRules, missingWarn: false, fallbackWarn: false }))
