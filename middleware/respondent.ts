// Survey pages that need a signed-in respondent of this survey; otherwise the survey's login page.
export default defineNuxtRouteMiddleware(async (to) => {
  if (import.meta.server) return
  const slug = String(to.params.slug)
  if (await useRespondentAuth().ensureSession(slug)) return
  return navigateTo(`/${slug}`, { replace: true })
})
