import { useDb } from '#server/database'
import { pruneExpired } from '#server/services/maintenance'

const HOUR_MS = 3600 * 1000

export default defineNitroPlugin((nitroApp) => {
  const run = () => {
    try {
      pruneExpired(useDb())
    }
    catch (error) {
      console.error('[maintenance] pruning failed:', (error as Error).message)
    }
  }
  run()
  const timer = setInterval(run, HOUR_MS)
  timer.unref()
  nitroApp.hooks.hook('close', () => clearInterval(timer))
})
