import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return markdownFiles(path)
    return entry.name.endsWith('.md') ? [path] : []
  })
}

const pages = [join(root, 'README.md'), ...(existsSync(join(root, 'docs')) ? markdownFiles(join(root, 'docs')) : [])]

const withoutFences = (markdown: string) => markdown.replace(/^( {0,3})(`{3,}|~{3,})[^\n]*\n[\s\S]*?\n {0,3}\2[`~]*[ \t]*$/gm, '')

/** The text a reader sees as prose: fenced code blocks and inline code spans hold examples, not links. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)[\s\S]*?\1/g, '')
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>()
  for (const [, heading] of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const anchor = heading!.toLowerCase().replace(/[^\p{L}\p{M}\p{N} _-]/gu, '').replace(/ /g, '-')
    let unique = anchor
    for (let repeat = 1; anchors.has(unique); repeat++) unique = `${anchor}-${repeat}`
    anchors.add(unique)
  }
  return anchors
}

const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm

function linkTargets(markdown: string): string[] {
  const text = prose(markdown)
  return [...text.matchAll(INLINE_LINK), ...text.matchAll(REFERENCE_DEFINITION)]
    .map(match => match[1]!.replace(/^<|>$/g, ''))
}

const isExternal = (target: string) => /^(?:https?|mailto):/i.test(target) || target.startsWith('#')

/** Where a relative link leads: `#anchor` dropped, percent-escapes decoded, `/…` from the repository root. */
function resolveTarget(page: string, target: string): string {
  const path = decodeURIComponent(target.split('#')[0]!)
  return path.startsWith('/') ? join(root, path) : resolve(dirname(page), path)
}

const name = (page: string) => relative(root, page)

describe('documentation links', () => {
  it('finds the README and the docs pages, and links in them', () => {
    expect(pages.map(name)).toContain('README.md')
    expect(pages.map(name)).toContain(join('docs', 'README.md'))
    expect(pages.flatMap(page => linkTargets(readFileSync(page, 'utf8'))).length).toBeGreaterThan(0)
  })

  it.each(pages.map(page => [name(page), page]))('every relative link in %s points at a file that exists', (_, page) => {
    const broken = linkTargets(readFileSync(page, 'utf8'))
      .filter(target => !isExternal(target))
      .filter(target => !existsSync(resolveTarget(page, target)))
    expect(broken).toEqual([])
  })

  it('README and docs point at nothing outside the repository', () => {
    const outside = pages.flatMap((page) => {
      const markdown = readFileSync(page, 'utf8')
      const links = linkTargets(markdown)
        .filter(target => !isExternal(target))
        .filter(target => !`${resolveTarget(page, target)}${sep}`.startsWith(root))
      const mentions = markdown.match(/\.\.\/shared\/[^\s`)'"]*|\b(?:SPEC|STACK|DESIGN)\.md\b/g) ?? []
      return [...links, ...mentions].map(target => `${name(page)}: ${target}`)
    })
    expect(outside).toEqual([])
  })
})

/** The source files git tracks: code and its comments, where a citation must lead into this repository. */
const sourceFiles = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.vue', '*.mjs'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter(file => file && existsSync(join(root, file)))

function sourceLines(pattern: RegExp): { file: string, line: number, text: string }[] {
  return sourceFiles.flatMap(file => readFileSync(join(root, file), 'utf8').split('\n')
    .flatMap((text, index) => [...text.matchAll(pattern)].map(([match]) => ({ file, line: index + 1, text: match }))))
}

describe('citations in the source', () => {
  it('finds the tracked source files', () => {
    expect(sourceFiles).toContain('nuxt.config.ts')
    expect(sourceFiles).toContain(join('server', 'error-handler.ts'))
    expect(sourceFiles.some(file => file.endsWith('.vue'))).toBe(true)
  })

  it('no source file cites a document outside the repository', () => {
    expect(sourceLines(/\b(?:SPEC|STACK|DESIGN)\.md|\.\.\/shared\b/g)).toEqual([])
  })

  it('every docs/ page and anchor a source file cites exists', () => {
    const cited = sourceLines(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)
    expect(cited.length).toBeGreaterThan(0)
    const broken = cited.filter(({ text }) => {
      const [page, anchor] = text.split('#') as [string, string | undefined]
      const path = join(root, page)
      if (!existsSync(path)) return true
      return anchor !== undefined && !headingAnchors(readFileSync(path, 'utf8')).has(anchor)
    })
    expect(broken).toEqual([])
  })
})
