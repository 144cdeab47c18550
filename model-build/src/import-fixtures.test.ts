/**
 * The committed import fixtures (model-build/fixtures/import) are what their script writes:
 * rerun into a temporary directory, every file must come out byte for byte the same. The script
 * needs Debian's python3-onnx, python3-sklearn and python3-numpy; where they are missing the
 * test is skipped and says why (CI runs the committed files; it needs no python).
 */

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "import");
const SCRIPT = join(FIXTURES, "make-import-fixtures.py");
const PYTHON = "/usr/bin/python3";

function pythonProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import onnx, sklearn, numpy"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} is not installed`;
  if (probe.status !== 0) return `${PYTHON} lacks onnx, sklearn or numpy (apt-get install python3-onnx python3-sklearn python3-numpy): ${probe.stderr.trim().split("\n").at(-1)}`;
  return undefined;
}

const problem = pythonProblem();
if (problem) console.log(`[import] skipping the fixture script's sync check: ${problem}`);

describe("the import fixtures", () => {
  it.skipIf(problem !== undefined)("are exactly what make-import-fixtures.py writes", () => {
    const out = mkdtempSync(join(tmpdir(), "flash-import-fixtures-"));
    try {
      execFileSync(PYTHON, [SCRIPT, "--out", out], { stdio: "pipe", timeout: 120_000 });
      const committed = readdirSync(FIXTURES).filter((f) => f !== "make-import-fixtures.py").sort();
      expect(readdirSync(out).sort()).toEqual(committed);
      for (const file of committed) {
        expect(Buffer.compare(readFileSync(join(out, file)), readFileSync(join(FIXTURES, file))), `${file} differs from what the script writes: rerun it`).toBe(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
