import { databaseReady, useDb } from '#server/database'
import { runDeliveryRound } from '#server/services/webhooks'
import { webhookConfig, webhooksPollMs } from '#server/http/settings'

/**
 * Delivers the outbox: every poll it claims due webhook deliveries (a lock in the database, so several
 * server processes may share the file) and sends them. Pending deliveries survive restarts: they are rows.
 */
export default defineNitroPlugin((nitroApp) => {
  const pollMs = webhooksPollMs()
  const config = webhookConfig()
  let running = false
  let stopped = false

  async function tick() {
    if (running || stopped) return
    running = true
    try {
      await databaseReady()
      // Drain what is due now before waiting for the next poll.
      while (!stopped && await runDeliveryRound(useDb(), config) > 0) { /* next batch */ }
    }
    catch (error) {
      console.error('[webhooks] worker round failed:', (error as Error).message)
    }
    finally {
      running = false
    }
  }

  const timer = setInterval(tick, pollMs)
  timer.unref()
  nitroApp.hooks.hook('close', () => {
    stopped = true
    clearInterval(timer)
  })
})
