/** The API reference for partner engineers: Redoc, bundled with the app (nothing from a CDN). */
export default defineEventHandler((event) => {
  setResponseHeaders(event, {
    'content-type': 'text/html; charset=utf-8',
    // Redoc's bundle injects its styles and runs its search index in a blob: worker.
    'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  })
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Respondent Gateway API</title>
</head>
<body>
<redoc spec-url="/api/openapi.json" hide-download-button="false"></redoc>
<script src="/docs/assets/redoc.standalone.js"></script>
</body>
</html>`
})
