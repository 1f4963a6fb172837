// The docs page: Swagger UI over the documents the mock lists in #docs-config, its first token filled in.
(function () {
  const config = JSON.parse(document.getElementById("docs-config").textContent);
  if (typeof SwaggerUIBundle === "undefined") {
    const note = document.createElement("p");
    note.className = "mock-missing";
    note.textContent = "Swagger UI's files are not installed (pip install swagger-ui-py); the documents: " +
      config.documents.map((d) => d.raw).join(", ");
    document.getElementById("mock-intro").appendChild(note);
    return;
  }
  window.ui = SwaggerUIBundle({
    urls: config.documents.map((d) => ({ url: d.url, name: d.name })),
    "urls.primaryName": config.documents[0].name,
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    onComplete: function () {
      if (config.scheme && config.token) window.ui.preauthorizeApiKey(config.scheme, config.token);
    },
  });
})();
