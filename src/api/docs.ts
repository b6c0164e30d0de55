import type { Context } from "hono";

/**
 * The interactive reference at /docs: Swagger UI loaded from the Worker's own static assets (web/vendor/swagger-ui,
 * copied from swagger-ui-dist by scripts/vendor-swagger-ui.mjs), so it works offline and loads nothing from a CDN.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Agent Session Manager API</title>
  <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/vendor/swagger-ui/init.js"></script>
</body>
</html>`;

export function docsPage(c: Context): Response {
  return c.html(DOCS_PAGE);
}
