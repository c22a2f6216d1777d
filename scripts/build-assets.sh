#!/usr/bin/env bash
# Rebuild Hafan's vendored front-end assets from the pinned npm packages
# (package.json / package-lock.json). The outputs are committed, so running
# the app never needs node; run this (or `make assets`) after changing
# assets/scss/ or bumping a version.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ]; then
  # --ignore-scripts: nothing here needs an install script (sass's optional
  # @parcel/watcher only serves --watch).
  npm ci --ignore-scripts --no-audit --no-fund
fi

GOVUK=node_modules/govuk-frontend/dist/govuk
VENDOR=hafan/static/vendor

# 1. Stylesheet (GOV.UK Frontend + Hafan rules, arial, no GDS Transport).
mkdir -p hafan/static/hafan
npx sass --no-source-map --style=compressed --load-path=node_modules \
  assets/scss/hafan.scss hafan/static/hafan/hafan.css

if grep -q "GDS Transport" hafan/static/hafan/hafan.css; then
  echo "build-assets: hafan.css references GDS Transport" >&2
  exit 1
fi

# 2. GOV.UK Frontend JS (an ES module exporting initAll). The .map is copied
# too because the file ends with a sourceMappingURL comment, which Django's
# ManifestStaticFilesStorage resolves at collectstatic time.
rm -rf "$VENDOR/govuk-frontend"
mkdir -p "$VENDOR/govuk-frontend"
cp "$GOVUK/govuk-frontend.min.js" "$GOVUK/govuk-frontend.min.js.map" \
  "$VENDOR/govuk-frontend/"

# 3. GOV.UK Frontend images. Every file upstream ships in assets/images is
# GOV.UK branding (crown favicon.ico/.svg, crown govuk-icon-*.png and
# govuk-icon-mask.svg, the Royal Arms govuk-crest.svg, the GOV.UK Open Graph
# image), and hafan.css references none of them (see
# assets/scss/_url-handlers.scss), so none is copied. Add a file here only if
# the compiled CSS starts to reference a non-branded image.
KEEP_IMAGES=()
if [ "${#KEEP_IMAGES[@]}" -gt 0 ]; then
  mkdir -p "$VENDOR/govuk-frontend/assets/images"
  for img in "${KEEP_IMAGES[@]}"; do
    cp "$GOVUK/assets/images/$img" "$VENDOR/govuk-frontend/assets/images/"
  done
fi
# Fail if the CSS points at an image that is not vendored.
for url in $(grep -o 'url([^)]*)' hafan/static/hafan/hafan.css | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//' | sort -u); do
  case "$url" in
    data:*) ;;
    /static/*)
      if [ ! -f "hafan/static/${url#/static/}" ]; then
        echo "build-assets: hafan.css references missing $url" >&2
        exit 1
      fi ;;
    *) echo "build-assets: unexpected url($url) in hafan.css" >&2; exit 1 ;;
  esac
done

# 4. htmx, pinned to 2.0.11 (the file name carries the version).
HTMX_VERSION=$(node -p 'require("./node_modules/htmx.org/package.json").version')
if [ "$HTMX_VERSION" != "2.0.11" ]; then
  echo "build-assets: expected htmx.org 2.0.11, found $HTMX_VERSION" >&2
  exit 1
fi
rm -rf "$VENDOR/htmx"
mkdir -p "$VENDOR/htmx"
cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx/htmx-2.0.11.min.js"

# 4b. Leaflet 1.9.4 for the places map (/patterns/places/): its script, stylesheet and the images the
# stylesheet names (layer control, default marker), with its licence. Never from a CDN.
LEAFLET_VERSION=$(node -p 'require("./node_modules/leaflet/package.json").version')
if [ "$LEAFLET_VERSION" != "1.9.4" ]; then
  echo "build-assets: expected leaflet 1.9.4, found $LEAFLET_VERSION" >&2
  exit 1
fi
rm -rf "$VENDOR/leaflet"
mkdir -p "$VENDOR/leaflet/images"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map \
  node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE "$VENDOR/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$VENDOR/leaflet/images/"

# 4c. Vega 6.4.0, Vega-Lite 6.5.0, vega-embed 7.3.0 and vega-interpreter 2.3.2 for the dashboard's charts
# (hafan/static/hafan/charts.js), with their licences; file names carry the versions. vega-interpreter ships
# only as an ES module importing three helpers from vega-util by bare name, which a browser cannot resolve, so
# it is wrapped as a classic script that takes them from the `vega` global and sets `window.vegaInterpreter`
# (the build fails if its imports or exports change). It lets Vega evaluate expressions without `new Function`,
# so the CSP needs no 'unsafe-eval'.
for pkg in vega:6.4.0 vega-lite:6.5.0 vega-embed:7.3.0 vega-interpreter:2.3.2; do
  name=${pkg%%:*}
  want=${pkg##*:}
  have=$(node -p "require('./node_modules/$name/package.json').version")
  if [ "$have" != "$want" ]; then
    echo "build-assets: expected $name $want, found $have" >&2
    exit 1
  fi
done
rm -rf "$VENDOR/vega"
mkdir -p "$VENDOR/vega"
cp node_modules/vega/build/vega.min.js "$VENDOR/vega/vega-6.4.0.min.js"
cp node_modules/vega-lite/build/vega-lite.min.js "$VENDOR/vega/vega-lite-6.5.0.min.js"
cp node_modules/vega-embed/build/vega-embed.min.js "$VENDOR/vega/vega-embed-7.3.0.min.js"
cp node_modules/vega/LICENSE "$VENDOR/vega/LICENSE-vega"
cp node_modules/vega-lite/LICENSE "$VENDOR/vega/LICENSE-vega-lite"
cp node_modules/vega-embed/LICENSE "$VENDOR/vega/LICENSE-vega-embed"
cp node_modules/vega-interpreter/LICENSE "$VENDOR/vega/LICENSE-vega-interpreter"
# The minified files end with a sourceMappingURL comment for maps that are not shipped; drop it.
sed -i '/^\/\/# sourceMappingURL=/d' "$VENDOR"/vega/*.min.js
INTERP=node_modules/vega-interpreter/build/vega-interpreter.js
IMPORT="import { ascending, isString, DisallowedObjectProperties } from 'vega-util';"
EXPORT="export { expression as expressionInterpreter };"
if [ "$(grep -c '^import ' "$INTERP")" != 1 ] || ! grep -qxF "$IMPORT" "$INTERP" \
  || [ "$(grep -c '^export ' "$INTERP")" != 1 ] || ! grep -qxF "$EXPORT" "$INTERP"; then
  echo "build-assets: vega-interpreter's imports or exports changed; update the wrapper" >&2
  exit 1
fi
{
  echo "/* vega-interpreter 2.3.2 (BSD-3-Clause, see LICENSE-vega-interpreter), wrapped by scripts/build-assets.sh"
  echo "   as a classic script: vega-util's helpers come from the vega global; sets window.vegaInterpreter. */"
  echo "(function (vegaUtil) {"
  echo "'use strict';"
  echo "var ascending = vegaUtil.ascending, isString = vegaUtil.isString,"
  echo "  DisallowedObjectProperties = vegaUtil.DisallowedObjectProperties;"
  grep -vxF -e "$IMPORT" -e "$EXPORT" "$INTERP" | sed -E '/^\/\/# sourceMappingURL=/d'
  echo "window.vegaInterpreter = { expressionInterpreter: expression };"
  echo "})(window.vega);"
} > "$VENDOR/vega/vega-interpreter-2.3.2.js"

# 5. axe-core for the browser accessibility tests.
mkdir -p tests/browser/vendor
cp node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js

echo "build-assets: done"
ls -l hafan/static/hafan/hafan.css "$VENDOR"/govuk-frontend/govuk-frontend.min.js \
  "$VENDOR"/htmx/htmx-2.0.11.min.js tests/browser/vendor/axe.min.js
