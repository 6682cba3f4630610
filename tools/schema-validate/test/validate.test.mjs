import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { validatePaths, modulePath } from "../validate.mjs";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

test("valid documents of core, batch and Argo CD kinds pass", async () => {
  const r = await validatePaths([join(fixtures, "good")], fixtures);
  assert.equal(r.documents, 3);
  assert.deepEqual(r.findings, []);
});

test("a field of the wrong type is reported with file, document and object", async () => {
  const r = await validatePaths([join(fixtures, "bad", "wrong-type.yaml")], fixtures);
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0].file, /wrong-type\.yaml$/);
  assert.equal(r.findings[0].object, "PersistentVolumeClaim/repo");
  assert.match(r.findings[0].message, /accessModes must be array/);
});

test("a kind without a schema fails instead of being skipped", async () => {
  const r = await validatePaths([join(fixtures, "bad", "unknown-kind.yaml")], fixtures);
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0].message, /no schema for apiVersion 'example.invalid\/v1' kind 'Widget'/);
});

test("a duplicate key fails", async () => {
  const r = await validatePaths([join(fixtures, "bad", "duplicate-key.yaml")], fixtures);
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0].message, /duplicated mapping key/);
});

test("apiVersion maps to the package that owns the group", () => {
  assert.equal(modulePath("v1", "Secret"), "kubernetes-models/v1/Secret");
  assert.equal(modulePath("batch/v1", "CronJob"), "kubernetes-models/batch/v1/CronJob");
  assert.equal(modulePath("argoproj.io/v1alpha1", "Application"), "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application");
  assert.equal(modulePath("bitnami.com/v1alpha1", "SealedSecret"), "@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret");
  assert.equal(modulePath("../x", "Secret"), null);
});
