import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ModelManifest } from "../../core/manifest.js";
import {
  checkVersionName,
  listModelVersions,
  MODELS_DIR,
  readDefaultModelVersion,
  RegistryError,
  removeModelVersion,
  renderDefaultPointer,
  resolveModelVersion,
  setDefaultModelVersion,
  writeModelVersion,
} from "./registry.js";

function fakeManifest(version: string, sha256 = version.padEnd(64, "0")): ModelManifest {
  return { name: "test", version, created_at: "2026-12-06T00:00:00Z", onnx: { file: "model.onnx", sha256 } } as unknown as ModelManifest;
}

function registryWith(...versions: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "registry-"));
  for (const v of versions) writeModelVersion({ manifest: fakeManifest(v), onnx: new Uint8Array([1, 2, 3]), card: `# ${v}\n`, modelsDir: dir });
  if (versions.length > 0) setDefaultModelVersion(versions[0]!, dir);
  return dir;
}

describe("the model registry", () => {
  it("holds the committed default model, and models/default.ts points at it", () => {
    const version = readDefaultModelVersion();
    expect(listModelVersions()).toContain(version);
    expect(readFileSync(join(MODELS_DIR, "default.ts"), "utf8")).toBe(renderDefaultPointer(version));
    for (const file of ["model.onnx", "manifest.json", "MODEL_CARD.md", "entry.ts"]) expect(existsSync(join(MODELS_DIR, version, file)), file).toBe(true);
    // Every version's entry is what model-build writes: a hand edit would change what a colour bundles.
    for (const v of listModelVersions()) {
      expect(readFileSync(join(MODELS_DIR, v, "entry.ts"), "utf8")).toContain(`serving model ${v}`);
    }
  });

  it("writes a version with its entry, and the default pointer follows setDefaultModelVersion", () => {
    const dir = registryWith("aaaaaaaaaaaa", "bbbbbbbbbbbb");
    expect(listModelVersions(dir)).toEqual(["aaaaaaaaaaaa", "bbbbbbbbbbbb"]);
    expect(readFileSync(join(dir, "bbbbbbbbbbbb", "entry.ts"), "utf8")).toMatch(/import onnx from "\.\/model\.onnx";[\s\S]*export default createModelWorker\(model\);/);
    expect(readDefaultModelVersion(dir)).toBe("aaaaaaaaaaaa");
    setDefaultModelVersion("bbbbbbbbbbbb", dir);
    expect(readDefaultModelVersion(dir)).toBe("bbbbbbbbbbbb");
    expect(() => setDefaultModelVersion("cccccccccccc", dir)).toThrow(/model cccccccccccc is not in the registry \(known: aaaaaaaaaaaa, bbbbbbbbbbbb\)/);
  });

  it("resolves default, full versions and unique prefixes, and names the ambiguous ones", () => {
    const dir = registryWith("ab12aaaaaaaa", "ab13bbbbbbbb", "cd00cccccccc");
    expect(resolveModelVersion("default", dir)).toBe("ab12aaaaaaaa");
    expect(resolveModelVersion("cd00cccccccc", dir)).toBe("cd00cccccccc");
    expect(resolveModelVersion("cd", dir)).toBe("cd00cccccccc");
    expect(() => resolveModelVersion("ab1", dir)).toThrow(/ambiguous: ab12aaaaaaaa, ab13bbbbbbbb/);
    expect(() => resolveModelVersion("ef", dir)).toThrow(RegistryError);
  });

  it("refuses to overwrite a version with another model, and writes outside the registry without an entry", () => {
    const dir = registryWith("aaaaaaaaaaaa");
    expect(() => writeModelVersion({ manifest: fakeManifest("aaaaaaaaaaaa", "f".repeat(64)), onnx: new Uint8Array([9]), card: "", modelsDir: dir })).toThrow(/already holds another model/);
    const out = mkdtempSync(join(tmpdir(), "out-"));
    const result = writeModelVersion({ manifest: fakeManifest("dddddddddddd"), onnx: new Uint8Array([1]), card: "", modelsDir: dir, outDir: out });
    expect(result.inRegistry).toBe(false);
    expect(existsSync(join(out, "entry.ts"))).toBe(false);
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
  });

  it("never removes the default, and a version in use only when forced", () => {
    const dir = registryWith("aaaaaaaaaaaa", "bbbbbbbbbbbb");
    expect(() => removeModelVersion("aaaaaaaaaaaa", { modelsDir: dir })).toThrow(/is the default/);
    const inUse = new Map([["bbbbbbbbbbbb", "wrangler.toml pins green to it"]]);
    expect(() => removeModelVersion("bbbbbbbbbbbb", { modelsDir: dir, inUse })).toThrow(/in use \(wrangler.toml pins green to it\)/);
    removeModelVersion("bbbbbbbbbbbb", { modelsDir: dir, inUse, force: true });
    expect(listModelVersions(dir)).toEqual(["aaaaaaaaaaaa"]);
  });

  it("only accepts version names that are safe as directories and module paths", () => {
    for (const bad of ["", "default", "../x", "A1", "a b", "a/b", "x".repeat(65)]) expect(() => checkVersionName(bad), bad).toThrow(RegistryError);
    for (const good of ["a778a0a4d58a", "v2", "2026-12-06.rc1"]) expect(() => checkVersionName(good)).not.toThrow();
  });

  it("says how to fix a missing or broken default pointer", () => {
    const dir = mkdtempSync(join(tmpdir(), "registry-"));
    expect(() => readDefaultModelVersion(dir)).toThrow(/default\.ts is missing: set a default with `npm run models -- default <version>`/);
    writeFileSync(join(dir, "default.ts"), "export {};\n");
    expect(() => readDefaultModelVersion(dir)).toThrow(/does not re-export a version's entry\.js/);
  });
});
