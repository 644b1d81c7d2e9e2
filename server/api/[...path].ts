import { notFound } from '../utils/errors'

export default defineEventHandler(() => {
  throw notFound('There is no API endpoint at this path.')
})
