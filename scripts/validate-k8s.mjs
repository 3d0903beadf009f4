#!/usr/bin/env node
// Renders the Kubernetes base and every overlay with `kubectl kustomize` and validates each object offline
// against the API schema of its kind (kubernetes-models, @kubernetes-models/keda). Fails on a kind outside the
// allow-list below, a KEDA trigger type outside its allow-list, a trigger that carries credentials or a broker
// address instead of an authenticationRef, an amqp:// URI with credentials anywhere, and a committed Secret.
// Exits 1 with one readable line per problem.    node scripts/validate-k8s.mjs [kustomization-dir ...]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const kubectl = process.env.KUBECTL || "kubectl";

// apiVersion/kind -> the module holding its model (and JSON-schema validator).
const KINDS = {
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/Service": "kubernetes-models/v1/Service",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "apps/v1/StatefulSet": "kubernetes-models/apps/v1/StatefulSet",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
  "keda.sh/v1alpha1/ScaledObject": "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject",
  "keda.sh/v1alpha1/TriggerAuthentication": "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication",
};
// KEDA scalers this deployment may use; credentials always through a TriggerAuthentication.
const TRIGGER_TYPES = new Set(["rabbitmq", "cpu", "memory"]);
const SECRET_TRIGGER_METADATA = ["host", "hostFromEnv", "password", "username", "connectionString"];

function kustomizations(args) {
  if (args.length > 0) return args;
  const dirs = ["deploy/k8s/base"];
  const overlays = join(root, "deploy/k8s/overlays");
  if (existsSync(overlays)) {
    for (const e of readdirSync(overlays, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith(".") && existsSync(join(overlays, e.name, "kustomization.yaml")))
        dirs.push(`deploy/k8s/overlays/${e.name}`);
    }
  }
  return dirs;
}

function render(dir) {
  try {
    return execFileSync(kubectl, ["kustomize", join(root, dir)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    if (e.code === "ENOENT") throw new Error(`${kubectl} not found: install kubectl (it renders with kubectl kustomize)`);
    throw new Error(`kubectl kustomize ${dir} failed: ${(e.stderr || e.message).toString().trim()}`);
  }
}

const models = new Map();
async function model(key) {
  if (!models.has(key)) {
    const mod = await import(KINDS[key]);
    models.set(key, mod[key.split("/").pop()]);
  }
  return models.get(key);
}

async function validate(dir) {
  const problems = [];
  const text = render(dir);
  if (/amqps?:\/\/[^\s/:@"']+:[^\s/@"']+@/.test(text)) problems.push("an amqp:// URI with credentials is in the output");
  let count = 0;
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) { problems.push(`YAML: ${doc.errors[0].message}`); continue; }
    const obj = doc.toJS();
    if (obj == null) continue;
    count++;
    const key = `${obj.apiVersion}/${obj.kind}`;
    const where = `${obj.kind}/${obj.metadata?.name ?? "?"}`;
    if (!(key in KINDS)) {
      problems.push(`${where}: kind ${key} is not in the allow-list of scripts/validate-k8s.mjs` +
        (obj.kind === "Secret" ? " (Secrets are created by hand, never committed)" : ""));
      continue;
    }
    try {
      const Model = await model(key);
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
    if (obj.kind === "ScaledObject") {
      for (const [i, t] of (obj.spec?.triggers ?? []).entries()) {
        if (!TRIGGER_TYPES.has(t.type)) problems.push(`${where}: trigger ${i} type '${t.type}' is not allowed`);
        for (const k of SECRET_TRIGGER_METADATA)
          if (t.metadata && k in t.metadata)
            problems.push(`${where}: trigger ${i} sets '${k}' inline; use authenticationRef to a TriggerAuthentication`);
        if (t.type === "rabbitmq" && !t.authenticationRef?.name)
          problems.push(`${where}: rabbitmq trigger ${i} has no authenticationRef`);
      }
    }
  }
  if (count === 0) problems.push("rendered no objects");
  return { count, problems };
}

let failed = false;
for (const dir of kustomizations(process.argv.slice(2))) {
  const name = relative(root, join(root, dir)) || dir;
  try {
    const { count, problems } = await validate(dir);
    if (problems.length === 0) {
      console.log(`validate-k8s: ${name}: ${count} objects valid`);
    } else {
      failed = true;
      for (const p of problems) console.error(`validate-k8s: ${name}: ${p}`);
    }
  } catch (e) {
    failed = true;
    console.error(`validate-k8s: ${name}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
