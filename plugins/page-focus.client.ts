/** After a move to another page in the browser (not the first page load), its heading takes the focus (composables/usePageFocus.ts). */
export default defineNuxtPlugin(() => {
  useRouter().afterEach((to, from, failure) => {
    // The first page load comes from vue-router's start location, which matches no page.
    if (failure || !from.matched.length) return
    if (to.path !== from.path) expectHeadingFocus(to.path)
  })
})
