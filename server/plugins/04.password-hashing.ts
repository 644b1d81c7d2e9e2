import { passwordHashingLimits } from '#server/http/settings'
import { configurePasswordHashing } from '#server/utils/passwords'

/** The password-hashing queue's bounds from runtime config (the CLI keeps the defaults). */
export default defineNitroPlugin(() => {
  configurePasswordHashing(passwordHashingLimits())
})
