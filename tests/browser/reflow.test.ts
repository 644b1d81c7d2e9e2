import { beforeAll, describe, expect, it } from 'vitest'
import { useBrowser } from '../support/browser'
import { seedRespondentPageSurveys, visitRespondentPages } from '../support/respondent-pages'
import { useTestServer } from '../support/server'

// WCAG 1.4.10 Reflow: every respondent page fits 320 CSS pixels of width, and a 1280-pixel window at 200 %
// zoom (640 CSS pixels on a screen of twice the density), without scrolling sideways.
// Each pass creates an account on the open survey from this one address: more than the default five in ten minutes.
const server = await useTestServer({ NUXT_GENERATE_USER_RATE_LIMIT_MAX: '20' })
const { browser } = await useBrowser()
beforeAll(() => seedRespondentPageSurveys(server.db()))

// German for its long compound words at the narrowest; Arabic for right to left.
const cases = [
  { name: '320 px wide', viewport: { width: 320, height: 640 }, deviceScaleFactor: 1, languages: ['en-GB', 'de', 'ar'] },
  { name: '200 % zoom', viewport: { width: 640, height: 400 }, deviceScaleFactor: 2, languages: ['en-GB', 'ar'] },
]

interface Box {
  tagName: string
  className: string
  textContent: string | null
  getBoundingClientRect: () => { left: number, right: number }
}
interface Window {
  innerWidth: number
  document: { scrollingElement: { scrollWidth: number, clientWidth: number }, querySelectorAll: (selector: string) => ArrayLike<Box> }
}

/** In the page: how wide it is against its window, and the first elements that stick out, to say what to fix. */
function measure() {
  const { document, innerWidth } = globalThis as unknown as Window
  const culprits = Array.from(document.querySelectorAll('body *'))
    .filter((element) => {
      const box = element.getBoundingClientRect()
      return box.right > innerWidth + 0.5 || box.left < -0.5
    })
    .map(element => `${element.tagName}.${element.className} "${(element.textContent ?? '').trim().slice(0, 40)}"`)
  const { scrollWidth, clientWidth } = document.scrollingElement
  return { scrollWidth, clientWidth, culprits: culprits.slice(0, 5) }
}

describe('reflow without horizontal scrolling', () => {
  for (const { name, viewport, deviceScaleFactor, languages } of cases) {
    for (const language of languages) {
      it(`${name}, ${language}`, async () => {
        const context = await browser.newContext({ viewport, deviceScaleFactor })
        const page = await context.newPage()
        const errors: string[] = []
        page.on('pageerror', error => errors.push(error.message))
        const overflowing: string[] = []
        await visitRespondentPages(page, language, `reflow-${viewport.width}-${language}`, async (where) => {
          const { scrollWidth, clientWidth, culprits } = await page.evaluate(measure)
          if (scrollWidth > clientWidth) overflowing.push(`${where}: ${scrollWidth} > ${clientWidth} (${culprits.join('; ')})`)
        })
        expect(overflowing).toEqual([])
        expect(errors).toEqual([])
        await context.close()
      }, 180_000)
    }
  }
})
