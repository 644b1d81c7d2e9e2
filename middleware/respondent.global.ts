// A survey's pages need a signed-in respondent of that survey, except the ways in: its sign-in page and
// the create-user link pages. Without one, the survey's sign-in page. (Runs after auth-link.global.ts,
// which signs in with a `?auth=` token first: global middleware run in the order of their file names.)
const WAYS_IN = new Set(['slug', 'slug-create-user', 'slug-create-user-token'])

export default defineNuxtRouteMiddleware(async (to) => {
  if (import.meta.server || typeof to.params.slug !== 'string' || WAYS_IN.has(String(to.name))) return
  const slug = to.params.slug
  if (await useRespondentAuth().ensureSession(slug)) return
  return navigateTo(`/${slug}`, { replace: true })
})
