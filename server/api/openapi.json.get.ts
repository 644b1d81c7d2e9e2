import { openApiDocument } from '../openapi/document'

export default defineEventHandler(() => openApiDocument(useRuntimeConfig().public.appVersion))
