// `?auth=<token>` on /{slug}, /{slug}/home, /{slug}/recall, /{slug}/feedback: sign in with the token,
// then drop it from the address bar (replace, so it is not kept in history either).
export default defineNuxtRouteMiddleware(async (to) => {
  if (import.meta.server) return
  const auth = to.query.auth
  if (typeof auth !== 'string' || !auth) return
  const slug = typeof to.params.slug === 'string' ? to.params.slug : undefined
  if (!slug) return
  const { auth: _dropped, ...query } = to.query
  const { loginWithToken } = useRespondentAuth()
  const notice = useRespondentNotice()
  const { t } = useNuxtApp().$i18n
  const { tooManyAttempts } = useRespondentTexts()
  try {
    const result = await loginWithToken(auth)
    // The survey wants a captcha first: the /a/ page asks for it (and drops the token from the address again).
    if (!result.ok) return navigateTo(`/a/${encodeURIComponent(auth)}`, { replace: true })
  }
  catch (error) {
    const body = apiError(error)
    notice.value = body?.statusCode === 429 ? () => tooManyAttempts(error) : () => t('errors.linkNotValid')
    return navigateTo({ path: `/${slug}`, query }, { replace: true })
  }
  const path = to.path.replace(/\/+$/, '') === `/${slug}` ? `/${slug}/home` : to.path
  return navigateTo({ path, query }, { replace: true })
})
