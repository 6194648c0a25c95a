// Starts Swagger UI on /docs against our own /openapi.json. A separate same-origin file (not an inline
// script) so the page's CSP can be `script-src 'self'` with no nonce or hash.
/* global SwaggerUIBundle */
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge that asks validator.swagger.io about our spec: the page talks to this origin only.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    persistAuthorization: false,
  });
});
