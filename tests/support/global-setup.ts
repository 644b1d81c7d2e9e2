// Builds the app once for every server test file (each file then starts the built server on its own database).
import { ensureBuilt } from '../../scripts/ensure-build.mjs'

export default function setup() {
  ensureBuilt()
}
