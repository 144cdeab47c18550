import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvError, loadTrainingCsv, parseTrainingCsv, readCsvRecords } from "./csv-loader.js";
import { formatTrainingCsv } from "./csv-writer.js";
import { encodeLabelled, fingerprintDataset } from "./dataset.js";
import { generateSynthetic } from "./synthetic.js";

const header = "id,funding_stage,runway_months,has_debt,sector,success";

describe("parseTrainingCsv", () => {
  it("reads a good file: values validated and normalised, empty cells missing", () => {
    const csv = [header, "a1,Series A,12.5,true,SaaS,1", "a2,seed,,no,fintech,0", "a3,pre-seed,3,,,false", ""].join("\n");
    const result = parseTrainingCsv(csv);
    expect(result.badRows).toEqual([]);
    expect(result.totalRows).toBe(3);
    expect(result.rows).toEqual([
      { features: { funding_stage: "series_a", runway_months: 12.5, has_debt: true, sector: "saas" }, success: true },
      { features: { funding_stage: "seed", has_debt: false, sector: "fintech" }, success: false },
      { features: { funding_stage: "pre_seed", runway_months: 3 }, success: false },
    ]);
  });

  it("notes ignored columns and features without a column", () => {
    const { notices } = parseTrainingCsv(`${header}\na1,seed,1,0,saas,1\n`);
    expect(notices[0]).toBe("ignored 1 column(s) that are not features: id");
    expect(notices[1]).toMatch(/^41 feature\(s\) have no column and are treated as missing: total_capital_raised_usd, /);
  });

  it("accepts every boolean spelling, for features and the label", () => {
    const spellings = [["true", "1"], ["false", "0"], ["1", "true"], ["0", "false"], ["1.0", "1.0"], ["0.0", "0.0"], ["TRUE", "True"], ["yes", "1"], ["No", "0"]];
    const csv = ["has_debt,success", ...spellings.map(([a, b]) => `${a},${b}`)].join("\r\n");
    const { rows, badRows } = parseTrainingCsv(csv);
    expect(badRows).toEqual([]);
    expect(rows.map((r) => [r.features.has_debt, r.success])).toEqual([
      [true, true], [false, false], [true, true], [false, false], [true, true], [false, false], [true, true], [true, true], [false, false],
    ]);
  });

  it("reports each bad row with its line number and every reason, and keeps the good rows", () => {
    const lines = [header, "a1,seed,12,true,saas,1", "a2,series z,500,maybe,saas,1", "a3,seed,abc,true,saas,2", "a4,seed,1,true", "a5,seed,1,true,saas,"];
    const good = Array.from({ length: 400 }, (_, i) => `g${i},seed,${i % 100},false,other,${i % 2}`);
    const result = parseTrainingCsv([...lines, ...good].join("\n"), { maxBadShare: 0.05 });
    expect(result.rows).toHaveLength(401);
    expect(result.badRows).toEqual([
      {
        line: 3,
        reasons: [
          "funding_stage must be one of pre_seed, seed, series_a, series_b, series_c; got the string \"series z\"",
          "runway_months must be between 0 and 120 (months), got 500",
          'has_debt must be true/false, 1/0 or "yes"/"no", got the string "maybe"',
        ],
      },
      { line: 4, reasons: ['runway_months must be a number, got the string "abc"', 'success must be 0/1 or true/false, got "2"'] },
      { line: 5, reasons: ["has 4 cells, the header has 6"] },
      { line: 6, reasons: ["success is empty (every row needs an outcome)"] },
    ]);
  });

  it("fails when bad rows exceed the allowed share, listing them", () => {
    const csv = [header, "a1,seed,12,true,saas,1", "a2,seed,-1,true,saas,1", "a3,seed,1,true,saas,0"].join("\n");
    expect(() => parseTrainingCsv(csv, { maxBadShare: 0.2 })).toThrow(CsvError);
    try {
      parseTrainingCsv(csv, { maxBadShare: 0.2 });
    } catch (error) {
      expect((error as CsvError).message).toContain("1 of 3 rows (33.33%) are bad, more than the allowed 20.00%");
      expect((error as CsvError).message).toContain("line 3: runway_months must be between 0 and 120");
      expect((error as CsvError).message).toContain("--max-bad-share");
      expect((error as CsvError).badRows).toHaveLength(1);
    }
    expect(parseTrainingCsv(csv, { maxBadShare: 0.4 }).rows).toHaveLength(2);
  });

  it("counts line numbers across quoted cells with line breaks", () => {
    const csv = ['id,sector,success', '"x, ""quoted""\nsecond line",saas,1', "y,nope,0", ""].join("\n");
    const result = parseTrainingCsv(csv, { maxBadShare: 1 });
    expect(result.badRows).toEqual([{ line: 4, reasons: [expect.stringContaining("sector must be one of")] }]);
    expect([...readCsvRecords('a,"b\nc",d\ne')]).toEqual([
      { line: 1, cells: ["a", "b\nc", "d"] },
      { line: 3, cells: ["e"] },
    ]);
  });

  it("explains a header it cannot use", () => {
    expect(() => parseTrainingCsv("")).toThrow(/empty/);
    expect(() => parseTrainingCsv("sector,runway_months\nsaas,1")).toThrow(/no "success" column/);
    expect(() => parseTrainingCsv("id,name,success\n1,a,1")).toThrow(/none of the 45 features/);
    expect(() => parseTrainingCsv("sector,sector,success\n")).toThrow(/appears twice/);
    expect(() => parseTrainingCsv("sector,success\n")).toThrow(/no data rows/);
    expect(() => parseTrainingCsv('sector,success\n"saas,1')).toThrow(/never closed/);
  });

  it("skips blank lines with a notice and strips a byte order mark", () => {
    const result = parseTrainingCsv("\ufeffsector,success\nsaas,1\n\n\nfintech,0\n");
    expect(result.rows).toHaveLength(2);
    expect(result.notices).toContain("skipped 2 blank line(s)");
  });
});

describe("loadTrainingCsv", () => {
  it("reads a file and says clearly when it is not there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flash-csv-"));
    const path = join(dir, "data.csv");
    writeFileSync(path, "sector,success\nsaas,1\n");
    expect((await loadTrainingCsv(path)).rows).toHaveLength(1);
    await expect(loadTrainingCsv(join(dir, "missing.csv"))).rejects.toThrow(/no such file: .*missing\.csv/);
  });
});

describe("formatTrainingCsv", () => {
  it("writes synthetic rows that the loader reads back to the very same encoded data", () => {
    const { rows } = generateSynthetic({ rows: 2000, seed: 12 });
    const csv = formatTrainingCsv(rows);
    const loaded = parseTrainingCsv(csv, { maxBadShare: 0 });
    expect(loaded.badRows).toEqual([]);
    expect(loaded.notices).toEqual([]);
    expect(loaded.rows).toEqual(rows);
    expect(fingerprintDataset(encodeLabelled(loaded.rows))).toBe(fingerprintDataset(encodeLabelled(rows)));
  });

  it("quotes cells that need it", () => {
    const csv = formatTrainingCsv([{ features: { sector: 'a,"b"' }, success: true }]);
    expect([...readCsvRecords(csv)][1]!.cells).toContain('a,"b"');
  });
});
