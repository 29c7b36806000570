#!/usr/bin/env bash
# Re-fetch the browser assets served under /static (GraphiQL, Swagger UI,
# ReDoc, Cytoscape.js for the workbench's chain graphs)
# from the npm registry, at the pinned versions below, with their
# licence files. The files are committed and installed with the package, so
# the pages work without internet; run this only to change a version, then
# run the browser tests (tests/web/test_browser_pages.py).
#
#   bash api/static/fetch.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# folder  package@version  files (paths inside the npm package)
ASSETS=(
  "react      react@18.2.0             LICENSE umd/react.production.min.js"
  "react-dom  react-dom@18.2.0         LICENSE umd/react-dom.production.min.js"
  "graphiql   graphiql@3.8.3           LICENSE graphiql.min.js graphiql.min.css"
  "swagger-ui swagger-ui-dist@5.36.0   LICENSE NOTICE swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css"
  "redoc      redoc@2.5.4              LICENSE bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt"
  "cytoscape  cytoscape@3.35.0         LICENSE dist/cytoscape.min.js"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
manifest="$here/SOURCES.txt"
echo "# folder package@version file sha256 (written by fetch.sh)" > "$manifest.new"
for line in "${ASSETS[@]}"; do
  read -r folder spec files <<< "$line"
  tarball="$(cd "$work" && npm pack --silent "$spec" | tail -n1)"
  mkdir -p "$work/$folder" "$here/$folder"
  tar -xzf "$work/$tarball" -C "$work/$folder"
  rm -f "$here/$folder"/*
  for f in $files; do
    cp "$work/$folder/package/$f" "$here/$folder/$(basename "$f")"
    echo "$folder $spec $(basename "$f") $(sha256sum "$here/$folder/$(basename "$f")" | cut -d' ' -f1)" >> "$manifest.new"
  done
done
mv "$manifest.new" "$manifest"
echo "assets written under $here (see SOURCES.txt)"
