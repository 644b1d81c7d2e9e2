import { appVersion } from '#server/http/settings'
import { openApiDocument } from '#server/openapi/document'

export default defineEventHandler(() => openApiDocument(appVersion()))
