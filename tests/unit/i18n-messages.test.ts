import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { baseCompile } from '@intlify/message-compiler'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LANGUAGE, LANGUAGES } from '../../i18n/languages'

const localesDir = join(import.meta.dirname, '..', '..', 'i18n', 'locales')
type Messages = { [key: string]: string | Messages }

function flatten(messages: Messages, prefix = ''): Map<string, string> {
  const flat = new Map<string, string>()
  for (const [key, value] of Object.entries(messages)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') flat.set(path, value)
    else for (const [inner, text] of flatten(value, path)) flat.set(inner, text)
  }
  return flat
}

const load = (code: string) => flatten(JSON.parse(readFileSync(join(localesDir, `${code}.json`), 'utf8')) as Messages)
const english = load(DEFAULT_LANGUAGE)
const others = LANGUAGES.filter(language => language.code !== DEFAULT_LANGUAGE)

/** The named placeholders of a message ({name}), in any of its plural forms. */
const placeholders = (message: string) => new Set([...message.matchAll(/\{\s*([A-Za-z_]\w*)\s*\}/g)].map(match => match[1]))
const forms = (message: string) => message.split('|').map(form => form.trim())
/**
 * Letters left once the placeholders are taken out: a message without any (", ", "{survey} — {app}")
 * may read the same in every language.
 */
const hasWords = (message: string) => /\p{L}/u.test(message.replace(/\{[^}]*\}/g, ''))

/**
 * Messages that are rightly the same as the English one in a language (the language's key → why). Keep
 * this short: anything else identical to English is an untranslated string.
 */
const SAME_AS_ENGLISH: Record<string, Record<string, string>> = {
  ms: { 'meal.unit': 'Malay says "unit" too' },
}

describe('the message files', () => {
  it('are one per configured language, and nothing else', () => {
    expect(readdirSync(localesDir).filter(file => file.endsWith('.json')).sort())
      .toEqual(LANGUAGES.map(language => `${language.code}.json`).sort())
    expect(new Set(LANGUAGES.map(language => language.code)).size).toBe(LANGUAGES.length)
  })

  it('English has no empty message and writes its plural messages with its own forms', () => {
    expect(english.size).toBeGreaterThan(100)
    for (const [key, message] of english) {
      expect(message.trim(), key).not.toBe('')
      if (message.includes('|')) expect(forms(message), key).toHaveLength(2)
    }
  })

  for (const language of others) {
    describe(`${language.code} (${language.name})`, () => {
      const messages = existsSync(join(localesDir, `${language.code}.json`)) ? load(language.code) : new Map<string, string>()

      it('has every key English has, and no other', () => {
        expect([...messages.keys()].filter(key => !english.has(key)), 'keys English does not have').toEqual([])
        expect([...english.keys()].filter(key => !messages.has(key)), 'keys missing').toEqual([])
      })

      it('has no empty message, and none left in English', () => {
        const allowed = SAME_AS_ENGLISH[language.code] ?? {}
        for (const [key, message] of messages) {
          expect(message.trim(), key).not.toBe('')
          if (hasWords(message) && !(key in allowed)) expect(message, `${key} is the English text`).not.toBe(english.get(key))
        }
      })

      it('uses the same placeholders as English, and the language\'s own plural forms', () => {
        for (const [key, message] of messages) {
          const source = english.get(key)
          if (source === undefined) continue
          expect(placeholders(message), key).toEqual(placeholders(source))
          if (source.includes('|')) {
            expect(forms(message), `${key}: one form per plural category (${language.plural.join(', ')})`).toHaveLength(language.plural.length)
            for (const form of forms(message)) expect(form, key).not.toBe('')
          }
          else {
            expect(message, `${key} is not a plural message`).not.toContain('|')
          }
        }
      })
    })
  }

  it('every message is valid vue-i18n message syntax (no stray @, |, { or })', () => {
    for (const { code } of LANGUAGES) {
      for (const [key, message] of load(code)) {
        const errors: string[] = []
        baseCompile(message, { onError: error => errors.push(error.message) })
        expect(errors, `${code} ${key}`).toEqual([])
      }
    }
  })
})
