import type { LanguageCode } from '~~/i18n/languages'

/**
 * Which language a page renders in (decidePageLanguage), in place of @nuxtjs/i18n's own detection, which
 * knows neither the survey's language nor that only the respondent's own choice belongs in the cookie.
 * Registered before the module's plugins, so that its first switch (the detection) comes through here.
 */
export default defineNuxtPlugin({
  name: 'respondent-language',
  enforce: 'pre',
  setup() {
    const nuxtApp = useNuxtApp()
    // The server's decision, for the browser to hydrate the page in the same language.
    const rendered = useState<LanguageCode | null>('page-language', () => null)
    let keepChoice: ((code: string) => void) | undefined
    let detected = false
    nuxtApp.hook('i18n:beforeLocaleSwitch', async (switching) => {
      const internals = nuxtApp._nuxtI18n as { setCookieLocale: (code: string) => void } | undefined
      if (internals && !keepChoice) {
        // The module writes every language it switches to into the cookie, detected or chosen: a detected
        // one would then pass for the respondent's choice (and a Set-Cookie keeps pages out of the page
        // cache). Only chooseLanguage writes it.
        keepChoice = internals.setCookieLocale
        internals.setCookieLocale = () => {}
      }
      if (detected) return
      detected = true
      // Hydrating a server-rendered page: the server's decision stands.
      if (import.meta.client && nuxtApp.payload.serverRendered && rendered.value) {
        switching.newLocale = rendered.value
        return
      }
      const path = import.meta.server ? nuxtApp.ssrContext!.url : window.location.pathname
      switching.newLocale = await decidePageLanguage(nuxtApp, path)
      if (import.meta.server) rendered.value = switching.newLocale as LanguageCode
    })
    // A server-rendered page's language follows these request headers (for caches between the respondent and us).
    if (import.meta.server) useResponseHeader('vary').value = 'Accept-Language, Cookie'
    return {
      provide: {
        /** The respondent chose this language in the menu: kept in the cookie, and the page switches to it. */
        chooseLanguage: async (code: LanguageCode) => {
          keepChoice?.(code)
          await nuxtApp.$i18n.setLocale(code)
        },
      },
    }
  },
})
