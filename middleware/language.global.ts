// Moving to another page in the browser: its language is decided as a new visit's would be (the
// respondent's choice, else the browser's language, else the survey's), so that each page follows the
// languages its own survey offers, and its language. (The first page is decided by plugins/language.ts.)
export default defineNuxtRouteMiddleware(async (to) => {
  const nuxtApp = useNuxtApp()
  if (import.meta.server || nuxtApp.isHydrating) return
  const language = await decidePageLanguage(nuxtApp, to.path)
  if (language !== nuxtApp.$i18n.locale.value) await nuxtApp.$i18n.setLocale(language)
})
