import { databaseReady, useDb } from '#server/database'
import { pruneExpired } from '#server/services/maintenance'

const HOUR_MS = 3600 * 1000

export default defineNitroPlugin((nitroApp) => {
  const run = async () => {
    try {
      await databaseReady()
      await pruneExpired(useDb())
    }
    catch (error) {
      console.error('[maintenance] pruning failed:', (error as Error).message)
    }
  }
  void run()
  const timer = setInterval(run, HOUR_MS)
  timer.unref()
  nitroApp.hooks.hook('close', () => clearInterval(timer))
})
