// Lobby Guide web chat widget: embed with one tag, e.g.
//   <script src="https://guide.example.gov/widget.js" data-language="en" async></script>
// Optional data attributes: data-language (en|zh; default: the page's lang, followed as it changes),
// data-kiosk-id (default "web"), data-open ("true").
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__lobbyGuideWidget) return;
  window.__lobbyGuideWidget = true;
  var server = new URL("/", script.src).href;
  var options = {
    server: server,
    kioskId: script.getAttribute("data-kiosk-id") || "web",
    language: script.getAttribute("data-language"), // none: the page's lang, followed when it changes
    open: script.getAttribute("data-open") === "true",
  };
  function mount() {
    import(new URL("static/js/widget-app.js", server).href)
      .then(function (module) { module.mountWidget(options); })
      .catch(function (error) { console.error("Lobby Guide widget could not load", error); });
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
