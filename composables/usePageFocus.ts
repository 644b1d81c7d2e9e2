/**
 * Where keyboard and screen-reader focus goes when the page changes in the browser. A full page load
 * leaves it to the browser (the top of the page); a move to another page in the browser leaves focus on
 * the link or button that was pressed, or nowhere once it is gone, so the new page's main heading takes it
 * (PageHeading) as soon as it is shown, however long the page takes to load.
 */
let awaitedPath: string | null = null

/** A move to `path` in the browser has happened: its heading takes the focus when it appears. */
export function expectHeadingFocus(path: string | null) {
  awaitedPath = path
}

/** Moves focus to `element`, the heading of the page at `path`, if a move there is waiting for it. */
export function focusHeadingAfterNavigation(element: HTMLElement | null, path: string) {
  if (!element || awaitedPath !== path) return
  awaitedPath = null
  // The respondent has already gone on into the page (typing, say): leave them there.
  const active = document.activeElement
  if (active && active !== document.body && document.getElementById('main')?.contains(active)) return
  element.focus()
}

/** After a failed submit: the first field marked invalid (aria-invalid) in `form` takes the focus, once it is rendered. */
export async function focusFirstInvalid(form: HTMLElement | null | undefined) {
  await nextTick()
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
}
