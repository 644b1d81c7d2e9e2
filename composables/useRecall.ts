import type { RecallDraft, RecallSessionView, SubmissionResult } from '~~/shared/schemas/recall'

export type SaveState = 'idle' | 'saving' | 'saved' | 'retrying' | 'offline'
/** Why the server refused a save (what SaveStatus says about it). */
export type SaveError = 'noSession' | 'notAllowed' | 'notAccepted'
export type DraftFood = RecallDraft['meals'][number]['foods'][number]
export type DraftMeal = RecallDraft['meals'][number]

const SAVE_DELAY_MS = 800
const RETRY_DELAYS_MS = [2000, 5000, 10000, 20000, 30000]

let foodCounter = 0
export const newFood = (): DraftFood => ({ id: `f${Date.now().toString(36)}${(foodCounter++).toString(36)}`, description: '', amount: null, unit: null, drink: false })

/**
 * The recall in progress: loaded from the server (so another device resumes it), saved back as the
 * respondent goes (debounced), and retried with backoff when a save fails — never silently dropped,
 * until the server has ended the session: then saving stops and `onSignedOut` is called, once.
 */
export function useRecall(slug: string, onSignedOut: () => unknown) {
  const { api } = useRespondentAuth()
  const base = `/api/surveys/${encodeURIComponent(slug)}`
  const draft = ref<RecallDraft>({ meals: [], step: 'meals' })
  const sessionId = ref<string | null>(null)
  const saveState = ref<SaveState>('idle')
  const saveError = ref<SaveError | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let retries = 0
  let dirty = false
  let inFlight: Promise<void> | null = null
  let signedOut = false

  async function start(meals: string[]) {
    const session = await api<RecallSessionView>(`${base}/session`, { method: 'POST' })
    sessionId.value = session.sessionId
    draft.value = session.data.meals.length
      ? { step: 'meals', ...session.data }
      : { step: 'meals', meals: meals.map(name => ({ name, time: null, skipped: false, foods: [] })) }
    saveState.value = 'saved'
  }

  async function saveNow(): Promise<void> {
    clearTimeout(timer)
    if (inFlight) await inFlight
    if (!dirty || signedOut) return
    dirty = false
    saveState.value = 'saving'
    inFlight = api(`${base}/session`, { method: 'PUT', body: { data: draft.value } })
      .then(() => {
        retries = 0
        saveError.value = null
        saveState.value = dirty ? 'saving' : 'saved'
      })
      .catch((error) => {
        dirty = true
        const body = apiError(error)
        saveError.value = body && body.statusCode < 500 && body.statusCode !== 429 ? saveErrorOf(body.statusCode) : null
        saveState.value = navigator.onLine === false ? 'offline' : 'retrying'
        if (isSignedOut(error)) {
          signedOut = true
          onSignedOut()
          return
        }
        const delay = RETRY_DELAYS_MS[Math.min(retries++, RETRY_DELAYS_MS.length - 1)]
        if (!body || body.statusCode >= 500 || body.statusCode === 429) timer = setTimeout(saveNow, delay)
      })
      .finally(() => {
        inFlight = null
      })
    await inFlight
    if (dirty && saveState.value === 'saving') await saveNow()
  }

  function changed() {
    dirty = true
    if (signedOut) return
    if (saveState.value !== 'retrying' && saveState.value !== 'offline') saveState.value = 'saving'
    clearTimeout(timer)
    timer = setTimeout(saveNow, SAVE_DELAY_MS)
  }

  async function submit(): Promise<SubmissionResult> {
    await saveNow().catch(() => undefined)
    const meals = draft.value.meals.map(meal => ({
      name: meal.name,
      time: meal.skipped ? null : meal.time || null,
      skipped: Boolean(meal.skipped),
      foods: meal.skipped
        ? []
        : meal.foods.filter(food => food.description.trim()).map(food => ({
            description: food.description.trim(),
            amount: food.amount === '' || food.amount === null || food.amount === undefined ? null : String(food.amount),
            unit: food.unit?.trim() || null,
            drink: Boolean(food.drink),
          })),
    }))
    return api<SubmissionResult>(`${base}/submission`, { method: 'POST', body: { sessionId: sessionId.value ?? undefined, meals } })
  }

  async function cancel() {
    clearTimeout(timer)
    dirty = false
    await api(`${base}/session`, { method: 'DELETE' })
  }

  const hasUnsavedChanges = () => dirty || inFlight !== null

  function onOnline() {
    if (dirty) void saveNow()
  }
  onMounted(() => window.addEventListener('online', onOnline))
  onBeforeUnmount(() => {
    window.removeEventListener('online', onOnline)
    clearTimeout(timer)
  })

  return { draft, sessionId, saveState, saveError, start, changed, saveNow, submit, cancel, hasUnsavedChanges }
}

function saveErrorOf(statusCode: number): SaveError {
  if (statusCode === 404) return 'noSession'
  if (statusCode === 403) return 'notAllowed'
  return 'notAccepted'
}
