/**
 * docs/runbook.md only shows commands that exist: every `npm run <script>` in its shell blocks
 * names a script in package.json, and for the operator scripts the options parse with the
 * script's own option list (promote's also build a valid policy). The e2e tests run the procedure.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine, type CommandSpec } from "./lib/cli.js";
import { DEPLOY_SPEC } from "./lib/deploy.js";
import { LOADTEST_SPEC } from "./lib/loadtest-report.js";
import { policyFromFlags, PROMOTE_SPEC } from "./lib/promote-options.js";
import { ROLLBACK_SPEC } from "./lib/rollback.js";
import { SMOKE_SPEC } from "./lib/smoke-checks.js";
import { STATUS_SPEC } from "./lib/status-report.js";

const ROOT = join(import.meta.dirname, "..");
const SPECS: Record<string, CommandSpec> = { promote: PROMOTE_SPEC, rollback: ROLLBACK_SPEC, status: STATUS_SPEC, smoke: SMOKE_SPEC, loadtest: LOADTEST_SPEC, deploy: DEPLOY_SPEC };

/** Splits a shell line into words, honouring "double" and 'single' quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split("\n")).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("#"));
}

describe("docs/runbook.md", () => {
  const markdown = readFileSync(join(ROOT, "docs", "runbook.md"), "utf8");
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const commands = shellCommands(markdown);

  it("has commands for every step of the v1 guide", () => {
    for (const heading of ["Pre-deployment checks", "Staging", "Deploy green", "Test green directly", "Canary and progressive rollout", "Completing the migration", "Immediate rollback", "Model rollback", "Troubleshooting"]) {
      expect(markdown).toContain(heading);
    }
    expect(commands.length).toBeGreaterThan(20);
  });

  it("uses only npm commands, each naming a real script with options it accepts", () => {
    for (const command of commands) {
      const words = shellWords(command).filter((w) => !/^[A-Z_]+=/.test(w)); // drop VAR=value prefixes
      expect(words[0], command).toBe("npm");
      if (words[1] === "start" || words[1] === "test") continue;
      expect(words[1], command).toBe("run");
      const name = words[2]!;
      expect(scripts[name], `npm run ${name} is not in package.json`).toBeDefined();
      const spec = SPECS[name];
      if (!spec) continue;
      const args = words[3] === "--" ? words.slice(4) : words.slice(3);
      const parsed = parseCommandLine(spec, args);
      if (name === "promote") expect(() => policyFromFlags(parsed.values), command).not.toThrow();
    }
  });
});
