import type { Text } from '~/composables/useRespondentTexts'

export interface FormAction { busy: boolean, error: Text | null, run: () => unknown }

/**
 * What a form's button starts (`run`): `busy` while it runs, and the message of its failure in `error`
 * (`failed` turns the error into that message, or null to show none; a function follows the language menu). Reactive, so a template reads
 * `action.busy` as it is.
 */
export function useFormAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>, failed: (error: unknown) => Text | null) {
  const busy = ref(false)
  const error = shallowRef<Text | null>(null)

  async function run(...args: A) {
    busy.value = true
    error.value = null
    try {
      await action(...args)
    }
    catch (caught) {
      error.value = failed(caught)
    }
    finally {
      busy.value = false
    }
  }

  return reactive({ busy, error, run })
}
