/**
 * The docs only show commands that exist: every `npm run <script>` in a shell block of
 * docs/runbook.md, the other docs/ pages and the README names a script in package.json, and for
 * the operator scripts the options parse with the script's own option list (promote's also build a
 * valid policy). The e2e tests run the procedure.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine, type CommandSpec } from "./lib/cli.js";
import { DEPLOY_SPEC } from "./lib/deploy.js";
import { LOADTEST_SPEC } from "./lib/loadtest-report.js";
import { policyFromFlags, PROMOTE_SPEC } from "./lib/promote-options.js";
import { ROLLBACK_SPEC } from "./lib/rollback.js";
import { SMOKE_SPEC } from "./lib/smoke-checks.js";
import { MODELS_SPEC } from "./lib/models-report.js";
import { STATUS_SPEC } from "./lib/status-report.js";

const ROOT = join(import.meta.dirname, "..");
const SPECS: Record<string, CommandSpec> = { promote: PROMOTE_SPEC, rollback: ROLLBACK_SPEC, status: STATUS_SPEC, smoke: SMOKE_SPEC, loadtest: LOADTEST_SPEC, deploy: DEPLOY_SPEC, models: MODELS_SPEC };

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
      const words = npmWords(command);
      expect(words[0], command).toBe("npm");
      checkNpmCommand(words, command, scripts);
    }
  });
});

describe("the README and the other docs/ pages", () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md") && f !== "runbook.md").map((f) => join("docs", f))];

  it.each(pages)("%s: every npm command names a real script with options it accepts", (page) => {
    // Other pages also show curl, wrangler and jq lines; only the npm ones are checked here.
    const npmLines = shellCommands(readFileSync(join(ROOT, page), "utf8")).filter((l) => npmWords(l)[0] === "npm");
    for (const command of npmLines) checkNpmCommand(npmWords(command), command, scripts);
  });
});

/** The words of a shell line without VAR=value prefixes and a trailing `# comment`. */
function npmWords(command: string): string[] {
  const words = shellWords(command.replace(/\s+#\s.*$/, "")).filter((w) => !/^[A-Z_]+=/.test(w));
  const pipe = words.findIndex((w) => w === "|" || w === "&&");
  return pipe < 0 ? words : words.slice(0, pipe);
}

function checkNpmCommand(words: string[], command: string, scripts: Record<string, string>): void {
  if (words[1] === "start" || words[1] === "test" || words[1] === "install" || words[1] === "ci") return;
  const at = words[1] === "run" && words[2] === "-s" ? 3 : 2;
  expect(words[1], command).toBe("run");
  const name = words[at]!;
  expect(scripts[name], `npm run ${name} is not in package.json`).toBeDefined();
  const spec = SPECS[name];
  if (!spec) return;
  const args = words[at + 1] === "--" ? words.slice(at + 2) : words.slice(at + 1);
  const parsed = parseCommandLine(spec, args);
  if (name === "promote") expect(() => policyFromFlags(parsed.values), command).not.toThrow();
}
