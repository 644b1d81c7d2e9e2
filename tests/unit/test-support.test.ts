import { describe, expect, it } from 'vitest'
import { randomToken } from '#server/utils/tokens'
import { accessTokenSecret } from '../support/tokens'

describe('accessTokenSecret (tests/support)', () => {
  it('returns the whole secret for secrets made of _ and - in any place', () => {
    for (const secret of ['_'.repeat(43), '-'.repeat(43), `_${'a'.repeat(41)}_`, `a_b-c${'_'.repeat(38)}`])
      expect(accessTokenSecret(`rgpat_12_${secret}`)).toBe(secret)
  })

  it('returns the whole secret of 20,000 tokens shaped as the server makes them', () => {
    for (let id = 1; id <= 20_000; id++) {
      const secret = randomToken(32)
      expect(accessTokenSecret(`rgpat_${id}_${secret}`)).toBe(secret)
    }
  })
})
