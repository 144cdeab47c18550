import { describe, expect, it } from "vitest";
import { BUCKET_COUNT, apiKeyId, bucketForRequest, bucketOf, clientKeyOf } from "./bucket";
import { chooseVersion, initialSplit, type Split } from "./split";

const KEYS = 100_000;
const base = initialSplit(new Date("2026-01-01T00:00:00Z")).split;
const withWeight = (candidate_percent: number): Split => ({ ...base, candidate_percent });

// Bucket every key once; the routing tests below reuse the buckets.
const buckets = Array.from({ length: KEYS }, (_, i) => bucketOf(clientKeyOf({ clientId: `client-${i}` }).key!));

describe("bucketing", () => {
  it("puts every key in one of 10,000 buckets, always the same one", () => {
    for (let i = 0; i < 1000; i++) {
      const b = bucketOf(`client:client-${i}`);
      expect(Number.isInteger(b) && b >= 0 && b < BUCKET_COUNT).toBe(true);
      expect(bucketOf(`client:client-${i}`)).toBe(b);
      expect(buckets[i]).toBe(b);
    }
  });

  it.each([5, 25, 50, 75])("sends %i%% of 100,000 clients to the candidate, within one point", (weight) => {
    const split = withWeight(weight);
    let candidate = 0;
    for (const b of buckets) if (chooseVersion(split, b).role === "candidate") candidate++;
    const share = (candidate / KEYS) * 100;
    expect(Math.abs(share - weight)).toBeLessThan(1);
  });

  it("is monotone: raising the weight only moves clients from stable to candidate", () => {
    const weights = [0, 1, 5, 10, 25, 33.33, 50, 75, 99, 100];
    let previous = buckets.map(() => false);
    let movedBack = 0;
    for (const w of weights) {
      const now = buckets.map((b) => chooseVersion(withWeight(w), b).role === "candidate");
      for (let i = 0; i < KEYS; i++) if (previous[i] && !now[i]) movedBack++;
      previous = now;
    }
    expect(movedBack).toBe(0);
    expect(previous.every(Boolean)).toBe(true);
  });

  it("sends nobody to the candidate at 0% and everybody at 100%", () => {
    for (const b of [0, 1, 4999, 9999]) {
      expect(chooseVersion(withWeight(0), b)).toEqual({ color: "blue", role: "stable" });
      expect(chooseVersion(withWeight(100), b)).toEqual({ color: "green", role: "candidate" });
    }
  });

  it("keys by X-Client-Id first, then the API key's id, else nothing", () => {
    expect(clientKeyOf({ clientId: " abc ", authorization: "Bearer k1" })).toEqual({ key: "client:abc", source: "client-id", apiKeyId: apiKeyId("k1") });
    const byBearer = clientKeyOf({ authorization: "Bearer secret-key-1" });
    expect(byBearer).toEqual({ key: `key:${apiKeyId("secret-key-1")}`, source: "api-key", apiKeyId: apiKeyId("secret-key-1") });
    expect(byBearer.key).not.toContain("secret-key-1");
    expect(clientKeyOf({ apiKey: "secret-key-1" })).toEqual(byBearer);
    expect(clientKeyOf({ authorization: "Basic abc" })).toEqual({ key: null, source: "none", apiKeyId: null });
    expect(clientKeyOf({})).toEqual({ key: null, source: "none", apiKeyId: null });
    expect(apiKeyId("secret-key-1")).toMatch(/^[0-9a-f]{16}$/);
  });

  it("spreads requests without a key at random", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const split = withWeight(25);
    let candidate = 0;
    for (let i = 0; i < KEYS; i++) if (chooseVersion(split, bucketForRequest({ key: null, source: "none", apiKeyId: null }, random)).role === "candidate") candidate++;
    expect(Math.abs((candidate / KEYS) * 100 - 25)).toBeLessThan(1);
    expect(bucketForRequest({ key: null, source: "none", apiKeyId: null }, () => 0.99999999)).toBe(BUCKET_COUNT - 1);
  });
});
