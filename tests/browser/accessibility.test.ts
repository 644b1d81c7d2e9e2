import { beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from '../support/axe'
import { useBrowser } from '../support/browser'
import { seedRespondentPageSurveys, visitRespondentPages } from '../support/respondent-pages'
import { useTestServer } from '../support/server'

// Every respondent page through axe-core's WCAG 2.1 A and AA rules, in English and in Arabic (right to left).
const server = await useTestServer()
const { newPage } = await useBrowser()
beforeAll(() => seedRespondentPageSurveys(server.db()))

describe('accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  for (const language of ['en-GB', 'ar']) {
    it(`no violation on any respondent page in ${language}`, async () => {
      const page = await newPage()
      const violations: string[] = []
      await visitRespondentPages(page, language, `axe-${language}`, async (where) => {
        violations.push(...await axeViolations(page, `${where} [${language}]`))
      })
      expect(violations).toEqual([])
      expect(page.errors).toEqual([])
    }, 180_000)
  }
})
