#!/usr/bin/env node
// Proves what Helm renders from a generated chart without Helm: every template of out/<env>/chart is
// executed by Go's own text/template (compiled to WebAssembly; missing keys are errors) with the data
// Helm passes (.Values, .Release, .Chart, .Template), and each rendered object is compared with the
// object of the same file in out/<env>/manifests after canonical formatting (keys sorted, JSON text).
// Then once more with changed values, to show that each parameter lands where it should and nowhere
// else; and values.yaml is checked against values.schema.json with a JSON Schema validator.
//
//   node render.mjs out/production out/test-cluster     exit 0 identical, 1 findings, 2 usage or I/O error
import { readFileSync, readdirSync, existsSync, realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import yaml from "js-yaml";
import Ajv from "ajv";
import { parse as goTemplate } from "@evertdespiegeleer/go-template";

const yamlOptions = { schema: yaml.CORE_SCHEMA };

/** JSON text with every map's keys sorted: equal objects give equal bytes. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  return JSON.stringify(value);
}

/** The first path where two parsed objects differ, or null. */
export function firstDifference(a, b, path = "") {
  if (canonical(a) === canonical(b)) return null;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
      if (d !== null) return d;
    }
  }
  return path || "(document)";
}

function loadOne(text, file) {
  const docs = yaml.loadAll(text, null, { ...yamlOptions, filename: file }).filter((d) => d !== null && d !== undefined);
  if (docs.length !== 1) throw new Error(`${file}: ${docs.length} documents, expected exactly one`);
  return docs[0];
}

/** What Helm passes to every template (the parts a chart without Sprig can read). */
export function helmData(chart, values, release) {
  return {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: "Helm", IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion ?? "", APIVersion: chart.apiVersion, Type: chart.type ?? "application" },
    Template: { BasePath: `${chart.name}/templates`, Name: "" },
  };
}

/** Renders every template of the chart; returns [{ file, object }] by file name. */
export async function renderChart(chartDir, values, release = { name: "manifestgen", namespace: "default" }) {
  const chart = yaml.load(readFileSync(join(chartDir, "Chart.yaml"), "utf8"), yamlOptions);
  const templates = join(chartDir, "templates");
  const rendered = [];
  for (const file of readdirSync(templates).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const data = helmData(chart, values, release);
    data.Template.Name = `${chart.name}/templates/${file}`;
    let text;
    try {
      text = await goTemplate(readFileSync(join(templates, file), "utf8"), data);
    } catch (e) {
      throw new Error(`${join(templates, file)}: ${e.name}: ${e.message}`);
    }
    rendered.push({ file, text, object: loadOne(text, `${file} (rendered)`) });
  }
  return rendered;
}

export function manifests(envDir) {
  const dir = join(envDir, "manifests");
  return new Map(readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
    .map((f) => [f, loadOne(readFileSync(join(dir, f), "utf8"), join(dir, f))]));
}

export function defaultValues(chartDir) {
  return yaml.load(readFileSync(join(chartDir, "values.yaml"), "utf8"), yamlOptions);
}

/** Errors of values against the chart's values.schema.json (empty when valid). */
export function schemaErrors(chartDir, values) {
  const schema = JSON.parse(readFileSync(join(chartDir, "values.schema.json"), "utf8"));
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
  return validate(values) ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
}

const podSpec = (o) =>
  o.kind === "CronJob" ? o.spec?.jobTemplate?.spec?.template?.spec
  : o.kind === "Job" || o.kind === "Deployment" ? o.spec?.template?.spec : undefined;

/** Findings (strings) of one environment directory holding manifests/ and chart/. */
export async function checkEnvironment(envDir) {
  const findings = [];
  const chartDir = join(envDir, "chart");
  const expected = manifests(envDir);
  const values = defaultValues(chartDir);
  for (const e of schemaErrors(chartDir, values)) findings.push(`values.yaml does not satisfy values.schema.json: ${e}`);

  // 1. Default values: exactly the objects of the directory output, file by file.
  const rendered = await renderChart(chartDir, values);
  const byFile = new Map(rendered.map((r) => [r.file, r.object]));
  for (const [file, object] of expected) {
    if (!byFile.has(file)) findings.push(`${file}: in manifests/ but no template renders it`);
    else if (canonical(byFile.get(file)) !== canonical(object))
      findings.push(`${file}: the chart renders a different object (first difference at ${firstDifference(byFile.get(file), object)})`);
  }
  for (const file of byFile.keys()) if (!expected.has(file)) findings.push(`${file}: rendered by the chart but not in manifests/`);

  // 2. Changed values: the parameters land where they should, and nothing else changes.
  const changed = structuredClone(values);
  changed.image.tag = "9.9.9-chart-test";
  changed.image.digest = "";
  changed.suspend = true;
  const [resized] = Object.keys(changed.resources);
  if (resized) changed.resources[resized] = { limits: { memory: "3Gi" }, requests: { cpu: "1500m" } };
  for (const e of schemaErrors(chartDir, changed)) findings.push(`changed values do not satisfy values.schema.json: ${e}`);
  const image = `${changed.image.repository}:${changed.image.tag}`;
  for (const { file, object } of await renderChart(chartDir, changed, { name: "other-release", namespace: "elsewhere" })) {
    const want = structuredClone(expected.get(file));
    if (want === undefined) continue;
    const spec = podSpec(want);
    if (spec) {
      for (const c of spec.containers) {
        c.image = image;
        if (want.metadata.name === resized) c.resources = changed.resources[resized];
      }
    }
    if (want.kind === "CronJob") want.spec.suspend = true;
    if (canonical(object) !== canonical(want))
      findings.push(`${file}: with changed values the chart renders an unexpected object (first difference at ${firstDifference(object, want)})`);
  }
  return { objects: expected.size, findings };
}

async function main(argv) {
  if (argv.length === 0) {
    console.error("usage: render.mjs ENVIRONMENT_DIR...   (each holding manifests/ and chart/)");
    return 2;
  }
  let objects = 0;
  let bad = 0;
  for (const dir of argv) {
    const shown = relative(process.cwd(), dir) || dir;
    if (!existsSync(join(dir, "chart")) || !existsSync(join(dir, "manifests"))) {
      console.error(`chart-render: ${shown} has no chart/ or manifests/ (render with output.helmChart.enabled)`);
      return 2;
    }
    let result;
    try {
      result = await checkEnvironment(dir);
    } catch (e) {
      console.error(`chart-render: ${shown}: ${e.message}`);
      bad++;
      continue;
    }
    objects += result.objects;
    for (const f of result.findings) console.error(`${shown}/chart: ${f}`);
    if (result.findings.length > 0) bad++;
  }
  console.log(`chart-render: ${argv.length} chart(s), ${objects} objects rendered by Go text/template and compared, ${bad} chart(s) with findings`);
  return bad === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)
  process.exitCode = await main(process.argv.slice(2));
