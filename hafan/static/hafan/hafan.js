// Hafan front-end bootstrap. Loaded as an ES module:
//   <script type="module" src="/static/hafan/hafan.js"></script>
// govuk-frontend v6 ships govuk-frontend.min.js as an ES module that exports
// initAll (there is no window.GOVUKFrontend global). No inline JS: the CSP
// forbids it, so the body classes are set here rather than in the template.
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js';

// A browser that runs this module supports ES modules, which is what
// govuk-frontend's `govuk-frontend-supported` class asserts.
document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();
