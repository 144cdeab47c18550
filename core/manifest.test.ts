import { describe, expect, it } from "vitest";
import { checkManifest } from "./manifest.js";

const good = {
  name: "flash-default",
  version: "abc123",
  created_at: "2026-01-01T00:00:00.000Z",
  onnx: { sha256: "a".repeat(64), input: "features", output: "probability" },
  encoding: { hash: "h" },
  calibration: { method: "isotonic", x: [0.1, 0.9], y: [0.05, 0.95] },
};

describe("checkManifest", () => {
  it("accepts what a consumer needs", () => {
    expect(checkManifest(good)).toEqual([]);
  });

  it("lists every problem with a path to it", () => {
    expect(checkManifest("x")).toEqual(["manifest must be a JSON object"]);
    expect(
      checkManifest({
        ...good,
        version: "",
        onnx: { sha256: "ABC", input: "x", output: "probability" },
        encoding: {},
        calibration: { method: "isotonic", x: [0.5, 0.4], y: [0.1, 0.2] },
      }),
    ).toEqual([
      "manifest.version must be a non-empty string",
      "manifest.onnx.sha256 must be 64 lower-case hex digits",
      'manifest.onnx.input must be "features"',
      "manifest.encoding.hash must be a string",
      "manifest.calibration.x must be strictly increasing (at index 1)",
    ]);
  });
});
