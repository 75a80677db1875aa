// The API reference page: Swagger UI from our own files (web/static/swagger-ui), reading
// the OpenAPI document. A file, not an inline script, so the content security policy holds.
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
