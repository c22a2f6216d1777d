// The dashboard's charts (issue 8, item 2): draws each analytics/_chart.html on the page from the Vega-Lite spec
// it carries (json_script), so nothing inline runs (the CSP forbids it). The table under each chart has the same
// figures, and is all there is without JavaScript.
//
// The CSP has no 'unsafe-eval', so Vega's expressions go through the vendored interpreter (vega-interpreter with
// `ast: true`) rather than `new Function`. Nothing is fetched: the data is inline and the loader refuses every
// URL; no actions menu (it links to the online editor); no injected stylesheet or tooltip (the CSP forbids
// inline styles, and the table carries every figure).
(function () {
  'use strict';
  if (typeof window.vegaEmbed !== 'function' || typeof window.vegaInterpreter !== 'object') {
    return;
  }

  function refuse() {
    return Promise.reject(new Error('Hafan charts load nothing: their data is in the page.'));
  }
  var loader = { load: refuse, sanitize: refuse, http: refuse, file: refuse };

  var options = {
    actions: false,
    ast: true,
    expr: window.vegaInterpreter.expressionInterpreter,
    renderer: 'svg',
    defaultStyle: false,
    tooltip: false,
    loader: loader,
    logLevel: 0
  };

  document.querySelectorAll('[data-chart-spec]').forEach(function (container) {
    var source = document.getElementById(container.getAttribute('data-chart-spec'));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var label = container.getAttribute('aria-label');
    container.hidden = false;
    window.vegaEmbed(container, spec, options).then(function (result) {
      // The container is one image with the summary as its label (Vega would make it a graphics document
      // labelled with the spec's description); the SVG inside is its picture, hidden from assistive technology.
      container.setAttribute('role', 'img');
      container.setAttribute('aria-label', label);
      container.removeAttribute('aria-roledescription');
      var svg = container.querySelector('svg');
      if (svg) {
        svg.setAttribute('aria-hidden', 'true');
        svg.setAttribute('focusable', 'false');
      }
      container.setAttribute('data-chart-drawn', 'true');
      return result;
    }).catch(function () {
      // The table under the chart still has every figure.
      container.hidden = true;
    });
  });
})();
