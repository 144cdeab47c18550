import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDefaultModelVersion } from "../../model-build/src/registry.js";
import { API_CONFIG, PinEditError, pinColorInConfig, readColorPins, readPinnedVersion, writeColorPin } from "./wrangler-pins.js";

/** A copy of the real wrangler.toml beside the repository's files, so `main` resolves the same way. */
function copyConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "pins-"));
  const path = join(dir, "wrangler.toml");
  copyFileSync(API_CONFIG, path);
  return path;
}

describe("colour pins in wrangler.toml", () => {
  it("pins both colours of the committed config to a registry version, through wrangler's own reader", () => {
    const pins = readColorPins();
    for (const color of ["blue", "green"] as const) {
      expect(pins[color].problems, color).toEqual([]);
      expect(pins[color].main).toBe(`models/${pins[color].version}/entry.ts`);
      expect(pins[color].var_version).toBe(pins[color].version);
    }
    // The committed pins serve the committed default (a new default is rolled out by deploying it).
    expect(pins.blue.version).toBe(readDefaultModelVersion());
  });

  it("rewrites exactly one colour's main and FLASH_MODEL_VERSION, keeping every other line", () => {
    const text = readFileSync(API_CONFIG, "utf8");
    const after = pinColorInConfig(text, "green", "0123456789ab");
    const changed = after.split("\n").filter((line, i) => line !== text.split("\n")[i]);
    expect(changed).toHaveLength(2);
    expect(changed[0]).toBe('main = "models/0123456789ab/entry.ts"');
    expect(changed[1]).toContain('FLASH_COLOR = "green"');
    expect(changed[1]).toContain('FLASH_MODEL_VERSION = "0123456789ab"');
    expect(pinColorInConfig(after, "green", "0123456789ab")).toBe(after);
  });

  it("writes the pin, reads it back as wrangler does, and restores the file on request", () => {
    const path = copyConfig();
    const before = readFileSync(path, "utf8");
    const result = writeColorPin("green", "0123456789ab", path);
    expect(result.changed).toBe(true);
    expect(result.pin.version).toBe("0123456789ab");
    expect(result.previous.version).toBe(readColorPins(API_CONFIG).green.version);
    expect(readColorPins(path).blue.version).toBe(readColorPins(API_CONFIG).blue.version);
    result.restore();
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("refuses a config it cannot edit safely", () => {
    expect(() => pinColorInConfig("[env.blue]\nname = \"x\"\n", "green", "0123456789ab")).toThrow(/no \[env\.green\] table/);
    expect(() => pinColorInConfig("[env.green]\nname = \"x\"\n", "green", "0123456789ab")).toThrow(PinEditError);
    expect(() => pinColorInConfig('[env.green]\nmain = "a"\nvars = { A = "1" }\n', "green", "0123456789ab")).toThrow(/no FLASH_MODEL_VERSION/);
  });

  it("reads the version out of an entry path", () => {
    expect(readPinnedVersion("models/a778a0a4d58a/entry.ts")).toBe("a778a0a4d58a");
    expect(readPinnedVersion("/repo/models/v2/entry.ts")).toBe("v2");
    expect(readPinnedVersion("worker/src/index.ts")).toBeNull();
    expect(readPinnedVersion(undefined)).toBeNull();
  });
});
