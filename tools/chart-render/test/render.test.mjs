// The tool's own tests: it finds what it is meant to find, on copies of the committed charts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { checkEnvironment, defaultValues, renderChart, schemaErrors } from "../render.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const escape = join(repo, "tests", "snapshots", "chart-escape");

function copy(dir) {
  const target = mkdtempSync(join(tmpdir(), "chart-render-test-"));
  cpSync(dir, target, { recursive: true });
  return target;
}

test("a chart whose templates render its manifests has no findings", async () => {
  const result = await checkEnvironment(escape);
  assert.deepEqual(result.findings, []);
  assert.ok(result.objects > 10);
});

test("literal {{ .x }} and }} in a hook command come out of Go's template engine unchanged", async () => {
  const manifest = readFileSync(join(escape, "manifests", "configmap-backup-kvm-lab-immich.yaml"), "utf8");
  assert.match(manifest, /docker inspect -f '\{\{ \.x \}\}' immich_postgres \}\} &&/);
  const template = readFileSync(join(escape, "chart", "templates", "configmap-backup-kvm-lab-immich.yaml"), "utf8");
  assert.doesNotMatch(template, /'\{\{ \.x/);
  const rendered = await renderChart(join(escape, "chart"), defaultValues(join(escape, "chart")));
  const config = rendered.find((r) => r.file === "configmap-backup-kvm-lab-immich.yaml").object.data["job.json"];
  assert.ok(config.includes("docker inspect -f '{{ .x }}' immich_postgres }} &&"), config);
});

test("an edited template is reported with the path of the difference", async () => {
  const dir = copy(escape);
  try {
    const file = join(dir, "chart", "templates", "cronjob-restic-check-kvm-lab.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("concurrencyPolicy: Forbid", "concurrencyPolicy: Allow"));
    const { findings } = await checkEnvironment(dir);
    assert.ok(findings.some((f) => f.startsWith("cronjob-restic-check-kvm-lab.yaml:") && f.includes("spec.concurrencyPolicy")), findings.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a parameter that does not reach every container is reported", async () => {
  const dir = copy(escape);
  try {
    const file = join(dir, "chart", "templates", "job-restic-init-kvm-lab.yaml");
    // The image literal again instead of the parameter: default values still match, changed ones do not.
    const manifest = readFileSync(join(dir, "manifests", "job-restic-init-kvm-lab.yaml"), "utf8");
    const literal = manifest.match(/image: (.*)/)[1];
    writeFileSync(file, readFileSync(file, "utf8").replace(/image: \{\{.*\n/, `image: ${literal}\n`));
    const { findings } = await checkEnvironment(dir);
    assert.deepEqual(findings.map((f) => f.split(":")[0]), ["job-restic-init-kvm-lab.yaml"]);
    assert.match(findings[0], /changed values.*containers\[0\]\.image/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing template and a template without manifest are both reported", async () => {
  const dir = copy(escape);
  try {
    rmSync(join(dir, "chart", "templates", "configmap-restic-check-kvm-lab.yaml"));
    writeFileSync(join(dir, "chart", "templates", "configmap-extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n");
    const { findings } = await checkEnvironment(dir);
    assert.ok(findings.includes("configmap-restic-check-kvm-lab.yaml: in manifests/ but no template renders it"), findings.join("\n"));
    assert.ok(findings.includes("configmap-extra.yaml: rendered by the chart but not in manifests/"), findings.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("values.schema.json rejects wrong types, unknown keys and unknown jobs", () => {
  const chart = join(escape, "chart");
  const values = defaultValues(chart);
  assert.deepEqual(schemaErrors(chart, values), []);
  assert.notDeepEqual(schemaErrors(chart, { ...values, suspend: "yes" }), []);
  assert.notDeepEqual(schemaErrors(chart, { ...values, replicas: 2 }), []);
  assert.notDeepEqual(schemaErrors(chart, { ...values, image: { ...values.image, tag: "1.0 beta" } }), []);
  assert.notDeepEqual(schemaErrors(chart, { ...values, resources: { ...values.resources, "no-such-job": {} } }), []);
  assert.notDeepEqual(schemaErrors(chart, { ...values, resources: { ...values.resources, "restic-check-kvm-lab": { limits: { memory: "lots" } } } }), []);
});
