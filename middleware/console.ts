// The console's pages need a complete sign-in (password and, where required, the second factor);
// without one, the sign-in page, which comes back here afterwards. Pages for owners only
// (`meta.owner`) send anyone else to the surveys list.
export default defineNuxtRouteMiddleware(async (to) => {
  if (import.meta.server) return
  const session = await loadConsoleSession()
  if (session?.stage !== 'active') return navigateTo(consoleLoginRoute(to), { replace: true })
  if (to.meta.owner && session.account.role !== 'owner') return navigateTo('/admin', { replace: true })
})
