#!/usr/bin/env bash
# Prints the production manifests with the platform image replaced by $1 (registry/name:tag or name@sha256:...),
# leaving the committed overlay as it is: a throw-away kustomization on top of overlays/production sets it.
#   bash scripts/k8s-render.sh registry.example.com/platform:1.2.3 | kubectl apply -f -
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:?usage: k8s-render.sh registry/name:tag}
overlay=deploy/k8s/overlays/production
command -v kubectl >/dev/null 2>&1 || { echo "k8s-render: kubectl is required (it renders with kubectl kustomize)" >&2; exit 1; }

# Split name, tag and digest: the tag is what follows the last ':' when no '/' follows it (a registry port is not a tag).
name=$image; tag=""; digest=""
if [[ $name == *@* ]]; then digest=${name#*@}; name=${name%%@*}; fi
last=${name##*:}
if [[ $name == *:* && $last != */* ]]; then tag=$last; name=${name%:*}; fi
[ -n "$tag$digest" ] || { echo "k8s-render: '$image' has no tag or digest; pin one (registry/name:tag)" >&2; exit 1; }

# The name the production overlay gives the image now (its images: newName), which the outer layer replaces.
current=$(sed -n 's/^ *newName: *//p' "$overlay/kustomization.yaml" | head -n 1)
current=${current:-platform}

# Inside overlays/ (git-ignored, removed on exit): kustomize takes only relative paths to other kustomizations.
tmp=$(mktemp -d deploy/k8s/overlays/.render-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources: [../production]"
  echo "images:"
  echo "  - name: \"$current\""
  echo "    newName: \"$name\""
  [ -n "$tag" ] && echo "    newTag: \"$tag\""
  [ -n "$digest" ] && echo "    digest: \"$digest\""
} >"$tmp/kustomization.yaml"
kubectl kustomize "$tmp"
