/**
 * The secret scan CI runs. Fake secrets are assembled at run time so this file does not trip
 * the scan itself.
 */

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../../worker/src/auth/api-keys.js";
import { checkFileName, readAllowedValues, scanRepository, scanText } from "../../scripts/scan-secrets.js";

const j = (...parts: string[]) => parts.join("");
const alnum = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => "aB3xY9kQ2mZ7pL5"[(i * seed) % 15]).join("");

const rules = (file: string, text: string, allowed?: Set<string>) => scanText(file, text, allowed).map((f) => f.rule);

describe("scanText", () => {
  it("finds our API keys, wherever they appear", () => {
    const key = generateApiKey();
    expect(rules("README.md", `curl -H "Authorization: Bearer ${key}"`)).toEqual(["flash-api-key"]);
    expect(rules("test/a.test.ts", `const k = "${key}";`)).toEqual(["flash-api-key"]);
  });

  it("finds Upstash tokens in config and quoted in code, not references to them", () => {
    const token = j("AXkq", alnum(60), "=");
    expect(rules(".ci/env", `UPSTASH_REDIS_REST_TOKEN=${token}`)).toEqual(["upstash-token"]);
    expect(rules("wrangler.toml", `UPSTASH_REDIS_REST_TOKEN = "${token}"`)).toEqual(["upstash-token"]);
    expect(rules("src/a.ts", `const env = { UPSTASH_REDIS_REST_TOKEN: "${token}" };`)).toEqual(["upstash-token"]);
    expect(rules("src/a.ts", "const c = { UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_REDIS_REST_TOKEN };")).toEqual([]);
    expect(rules("src/a.ts", 'const m = url ? "UPSTASH_REDIS_REST_TOKEN" : "UPSTASH_REDIS_REST_URL";')).toEqual([]);
    expect(rules("README.md", "UPSTASH_REDIS_REST_TOKEN=<token from npm run redis>")).toEqual([]);
    expect(rules("README.md", `curl "https://x.upstash.io/get/k?_token=${token}"`)).toEqual(["upstash-token-in-url"]);
  });

  it("finds Cloudflare tokens in the scannable format and legacy ones in assignments", () => {
    expect(rules("notes.txt", j("token: cf", "ut_", alnum(40), "0a1b2c3d"))).toEqual(["cloudflare-scannable-token"]);
    expect(rules("deploy.sh", j("export CLOUDFLARE_API_TOKEN=", alnum(40)))).toEqual(["cloudflare-api-token"]);
    expect(rules("deploy.sh", "export CLOUDFLARE_API_TOKEN=$CLOUDFLARE_API_TOKEN")).toEqual([]);
  });

  it("finds private keys and other well-known tokens", () => {
    expect(rules("id_rsa.txt", j("-----BEGIN ", "OPENSSH PRIVATE KEY-----"))).toEqual(["private-key"]);
    expect(rules("x.yaml", j("key: AK", "IA", "ABCDEFGHIJKLMNOP"))).toEqual(["aws-access-key"]);
    expect(rules("x.md", j("gh", "p_", alnum(36)))).toEqual(["github-token"]);
    expect(rules(".ci/run", j("ADMIN_TOKEN=", alnum(24)))).toEqual(["env-secret"]);
  });

  it("allows the documented development values and lines marked secret-scan: allow", () => {
    const dev = j("flash_dev_", "local_only_not_a_secret");
    const other = j("flash_dev_", alnum(20));
    const allowed = readAllowedValues(`# comment\nFLASH_DEV_API_KEY=${dev}\nEMPTY=\nQUOTED="${j("quoted-", alnum(12))}"\n`);
    expect(allowed.has(dev)).toBe(true);
    expect(allowed.has(j("quoted-", alnum(12)))).toBe(true);
    expect(rules("README.md", `Bearer ${dev}`, allowed)).toEqual([]);
    expect(rules("README.md", `Bearer ${other}`, allowed)).toEqual(["flash-dev-key"]);
    expect(rules("docs.md", `${generateApiKey()} <!-- secret-scan: allow -->`)).toEqual([]);
  });

  it("never lets a real key format through just because it sits in .dev.vars.example", () => {
    const real = generateApiKey();
    const cloudflare = j("cf", "at_", alnum(44));
    const example = `FLASH_DEV_API_KEY=${real}\nCLOUDFLARE_API_TOKEN=${cloudflare}\n`;
    expect(rules(".dev.vars.example", example, readAllowedValues(example))).toEqual(["flash-api-key", "cloudflare-scannable-token"]);
  });

  it("reports the line and a redacted excerpt, never the whole secret", () => {
    const key = generateApiKey();
    const [finding] = scanText("a.md", `line one\n\nkey ${key}`);
    expect(finding).toMatchObject({ file: "a.md", line: 3, rule: "flash-api-key" });
    expect(finding!.excerpt).not.toContain(key.slice(12));
    expect(finding!.excerpt).toMatch(/49 chars/);
  });
});

describe("checkFileName", () => {
  it("refuses files that hold secrets by nature, not their examples", () => {
    expect(checkFileName(".dev.vars")?.rule).toBe("forbidden-file");
    expect(checkFileName("router/.dev.vars")?.rule).toBe("forbidden-file");
    expect(checkFileName(".env.production")?.rule).toBe("forbidden-file");
    expect(checkFileName(".flash/api-keys.json")?.rule).toBe("forbidden-file");
    expect(checkFileName("certs/server.pem")?.rule).toBe("forbidden-file");
    expect(checkFileName(".dev.vars.example")).toBeUndefined();
    expect(checkFileName("src/env.ts")).toBeUndefined();
  });
});

describe("scanRepository on a scratch git repository", () => {
  it("fails on a committed key and passes once it is gone; the CLI exits 1 then 0", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "flash-scan-"));
    try {
      const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "pipe" });
      git("init", "-q");
      fs.writeFileSync(path.join(root, ".gitignore"), ".dev.vars\n");
      fs.writeFileSync(path.join(root, ".dev.vars"), j("ADMIN_TOKEN=", alnum(30), "\n")); // ignored: fine
      fs.writeFileSync(path.join(root, ".dev.vars.example"), j("FLASH_DEV_API_KEY=flash_dev_", "documented_value\n"));
      fs.writeFileSync(path.join(root, "README.md"), j("Use flash_dev_", "documented_value locally.\n"));
      fs.writeFileSync(path.join(root, "config.ts"), `export const key = "${generateApiKey()}";\n`);
      fs.writeFileSync(path.join(root, "model.bin"), Buffer.from([0, 1, 2, 3]));
      git("add", ".gitignore", ".dev.vars.example", "README.md");
      const dirty = scanRepository(root);
      expect(dirty.findings.map((f) => `${f.file}:${f.rule}`)).toEqual(["config.ts:flash-api-key"]);
      expect(dirty.skipped).toBe(1);
      const cli = (args: string[]) => {
        try {
          execFileSync(path.resolve("node_modules/.bin/tsx"), [path.resolve("scripts/scan-secrets.ts"), "--root", root, ...args], { stdio: "pipe" });
          return 0;
        } catch (error) {
          return (error as { status: number }).status;
        }
      };
      expect(cli([])).toBe(1);
      fs.rmSync(path.join(root, "config.ts"));
      expect(scanRepository(root).findings).toEqual([]);
      expect(cli(["--json"])).toBe(0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
