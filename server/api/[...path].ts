import { notFound } from '#server/utils/errors'

export default defineEventHandler(() => {
  throw notFound('There is no API endpoint at this path.')
})
