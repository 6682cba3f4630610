#!/usr/bin/env node
// Validates every YAML document under the given paths against schemas this project did not write:
// the Kubernetes OpenAPI schemas compiled by kubernetes-models and the CRD schemas of Argo CD,
// Sealed Secrets and External Secrets (versions pinned in package.json and package-lock.json).
// A document whose apiVersion/kind has no schema here fails: nothing is skipped.
//
//   node validate.mjs out/            exit 0 all valid, 1 findings, 2 usage or I/O error
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { join, relative } from "node:path";
import yaml from "js-yaml";

// API group -> package that carries its models. Core and built-in groups live in kubernetes-models.
const groupPackages = new Map([
  ["argoproj.io", "@kubernetes-models/argo-cd"],
  ["bitnami.com", "@kubernetes-models/sealed-secrets"],
  ["external-secrets.io", "@kubernetes-models/external-secrets"],
  ["monitoring.coreos.com", "@kubernetes-models/prometheus-operator"],
]);

export function modulePath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind))
    return null;
  const parts = apiVersion.split("/");
  const version = parts[parts.length - 1];
  const group = parts.length === 2 ? parts[0] : "";
  if (parts.length > 2 || !/^v[0-9]+[a-z0-9]*$/.test(version)) return null;
  if (group !== "" && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(group)) return null;
  const pkg = groupPackages.get(group) ?? "kubernetes-models";
  return `${pkg}/${apiVersion}/${kind}`;
}

export function yamlFiles(path) {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out = [];
  for (const entry of readdirSync(path).sort()) {
    const full = join(path, entry);
    if (statSync(full).isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry)) out.push(full);
  }
  return out;
}

async function loadModel(apiVersion, kind) {
  const spec = modulePath(apiVersion, kind);
  if (spec === null) return null;
  try {
    const mod = await import(spec);
    return mod[kind] ?? null;
  } catch (e) {
    if (e && (e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || e.code === "ERR_MODULE_NOT_FOUND")) return null;
    throw e;
  }
}

/** Returns { documents, findings: [{file, index, object, message}] }. */
export async function validatePaths(paths, root = process.cwd()) {
  const findings = [];
  let documents = 0;
  for (const file of paths.flatMap(yamlFiles)) {
    const shown = relative(root, file) || file;
    let docs;
    try {
      // js-yaml rejects duplicate keys, which Kubernetes would silently collapse.
      docs = yaml.loadAll(readFileSync(file, "utf8"), null, { filename: shown });
    } catch (e) {
      documents++;
      findings.push({ file: shown, index: 1, object: "-", message: e.message.split("\n")[0] });
      continue;
    }
    for (const [i, doc] of docs.entries()) {
      if (doc === null || doc === undefined) continue;
      documents++;
      const index = i + 1;
      if (typeof doc !== "object" || Array.isArray(doc)) {
        findings.push({ file: shown, index, object: "-", message: "document is not a mapping" });
        continue;
      }
      const object = `${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
      const Model = await loadModel(doc.apiVersion, doc.kind);
      if (Model === null) {
        findings.push({ file: shown, index, object, message: `no schema for apiVersion '${doc.apiVersion}' kind '${doc.kind}'` });
        continue;
      }
      try {
        new Model(doc).validate();
      } catch (e) {
        for (const line of String(e.message).split(", data"))
          findings.push({ file: shown, index, object, message: (line.startsWith("/") ? "data" + line : line).trim() });
      }
    }
  }
  return { documents, findings };
}

async function main(argv) {
  if (argv.length === 0) {
    console.error("usage: validate.mjs PATH...");
    return 2;
  }
  let result;
  try {
    result = await validatePaths(argv);
  } catch (e) {
    console.error(`schema-validate: ${e.message}`);
    return 2;
  }
  for (const f of result.findings) console.error(`${f.file}: document ${f.index} (${f.object}): ${f.message}`);
  if (result.documents === 0) {
    console.error(`schema-validate: no YAML documents under ${argv.join(" ")}`);
    return 1;
  }
  const bad = new Set(result.findings.map((f) => `${f.file}#${f.index}`)).size;
  console.log(`schema-validate: ${result.documents} documents checked, ${bad} invalid`);
  return result.findings.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)
  process.exitCode = await main(process.argv.slice(2));
