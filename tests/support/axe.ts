import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AxeResults, Result } from 'axe-core'
import type { Page } from 'playwright-core'

/** axe-core's browser bundle, run in the page through the DevTools protocol (the app's CSP does not apply there). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

/** One line per element axe finds at fault: the rule, its impact, what it asks, where, and why. */
function describe(where: string, violations: Result[]): string[] {
  return violations.flatMap(violation => violation.nodes.map(node =>
    `${where}: ${violation.id} (${violation.impact ?? 'n/a'}) ${violation.help} at ${node.target.join(' ')}: ${(node.failureSummary ?? '').replace(/\s+/g, ' ')}`))
}

/** The WCAG 2.1 A and AA violations axe-core finds in the page as it is now, described (empty: none). */
export async function axeViolations(page: Page, where: string): Promise<string[]> {
  if (!await page.evaluate(() => 'axe' in globalThis)) await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate((tags) => {
    type Axe = { run: (context: unknown, options: object) => Promise<AxeResults> }
    const { axe, document } = globalThis as unknown as { axe: Axe, document: unknown }
    return axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
  }, WCAG_21_AA)
  return describe(where, results.violations)
}
