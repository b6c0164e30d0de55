// /docs: Swagger UI from this Worker's own assets (works offline), reading the spec the Worker serves.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
