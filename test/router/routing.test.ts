/**
 * Routing through the real API deployments: split shares, stickiness, monotone weight changes,
 * tester overrides and the headers the router adds.
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, Isolate, TESTER_TOKEN, startup, testEnv } from "./support/harness";
import { TEST_API_KEY } from "./support/constants";

const versionOf = (r: Response) => r.headers.get("x-flash-version");

describe("routing by the split", () => {
  it("sends everything to stable at 0%, everything to the candidate at 100%, and labels answers", async () => {
    const router = new Isolate();
    const first = await router.predict(startup(1));
    expect(first.status).toBe(200);
    expect(versionOf(first)).toBe("blue");
    expect(first.headers.get("x-flash-role")).toBe("stable");
    expect(first.headers.get("x-flash-split-revision")).toBe("1");
    // The API's own answer passes through untouched.
    expect(first.headers.get("x-flash-probability")).toMatch(/^0(\.\d+)?$|^1$/);
    const body = (await first.json()) as { success_probability: number };
    expect(body.success_probability).toBeCloseTo(Number(first.headers.get("x-flash-probability")), 5);

    await router.setSplit(100);
    const all = await router.predict(startup(1));
    expect(versionOf(all)).toBe("green");
    expect(all.headers.get("x-flash-role")).toBe("candidate");
    expect(all.headers.get("x-flash-split-revision")).toBe("2");
    // The test green predicts a constant: proof the request really reached the green deployment.
    expect(all.headers.get("x-flash-probability")).toBe("0.97");
  });

  it("keeps each client on one version and only moves clients to the candidate as the weight rises", async () => {
    const router = new Isolate();
    const clients = Array.from({ length: 200 }, (_, i) => `sticky-client-${i}`);
    const seen = async () => {
      const out: string[] = [];
      for (const id of clients) out.push(versionOf(await router.fetch("/health", { headers: { "x-client-id": id } }))!);
      return out;
    };
    await router.setSplit(25);
    const at25 = await seen();
    expect(await seen()).toEqual(at25);
    const share25 = at25.filter((v) => v === "green").length / clients.length;
    expect(share25).toBeGreaterThan(0.15);
    expect(share25).toBeLessThan(0.35);

    await router.setSplit(50);
    const at50 = await seen();
    for (let i = 0; i < clients.length; i++) if (at25[i] === "green") expect(at50[i]).toBe("green");
    expect(at50.filter((v) => v === "green").length).toBeGreaterThan(at25.filter((v) => v === "green").length);
  });

  it("buckets by the API key when there is no X-Client-Id", async () => {
    const router = new Isolate();
    await router.setSplit(50);
    const versions = new Set<string>();
    for (let i = 0; i < 10; i++) versions.add(versionOf(await router.predict(startup(i)))!);
    // One key, one bucket: the same version every time.
    expect(versions.size).toBe(1);
  });
});

describe("the X-Flash-Version override", () => {
  it("reaches the asked colour with a tester or admin token, whatever the weights", async () => {
    const router = new Isolate();
    for (const token of [TESTER_TOKEN, ADMIN_TOKEN]) {
      const green = await router.predict(startup(2), { "x-flash-version": "green", "x-flash-override-token": token });
      expect(green.status).toBe(200);
      expect(versionOf(green)).toBe("green");
      expect(green.headers.get("x-flash-role")).toBe("candidate");
    }
    await router.setSplit(100);
    const blue = await router.predict(startup(2), { "x-flash-version": "Blue", "x-flash-override-token": TESTER_TOKEN });
    expect(versionOf(blue)).toBe("blue");
  });

  it("is refused without a valid token (403) and for an unknown colour (400)", async () => {
    const router = new Isolate();
    const noToken = await router.predict(startup(3), { "x-flash-version": "green" });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as any).error.issues[0].field).toBe("X-Flash-Override-Token");
    const apiKeyIsNotEnough = await router.predict(startup(3), { "x-flash-version": "green", "x-flash-override-token": TEST_API_KEY });
    expect(apiKeyIsNotEnough.status).toBe(403);
    const purple = await router.predict(startup(3), { "x-flash-version": "purple", "x-flash-override-token": TESTER_TOKEN });
    expect(purple.status).toBe(400);
    expect(((await purple.json()) as any).error.code).toBe("invalid_version");
  });

  it("is never retried on the other colour: a tester sees the version they asked for", async () => {
    const router = new Isolate(testEnv({ brokenGreen: true }));
    const response = await router.predict(startup(4), { "x-flash-version": "green", "x-flash-override-token": TESTER_TOKEN });
    expect(response.status).toBe(500);
    expect(versionOf(response)).toBe("green");
    expect(response.headers.get("x-flash-fallback-from")).toBeNull();
  });
});

describe("the router's own endpoints", () => {
  it("answers /router/health and passes the API's errors through unchanged", async () => {
    const router = new Isolate();
    expect(await (await router.fetch("/router/health")).json()).toMatchObject({ status: "ok", stable: "blue", revision: 1 });
    const bad = await router.predict({ runway_months: -5 });
    expect(bad.status).toBe(422);
    expect(versionOf(bad)).toBe("blue");
    expect(((await bad.json()) as any).error.issues[0].field).toBe("runway_months");
  });
});

describe("forwarding", () => {
  it("drops the router's own headers, keeps the rest, and can replay the body", async () => {
    const { toOutgoing } = await import("../../router/src/upstream");
    const request = new Request("https://router.test/predict?strict=true", {
      method: "POST",
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        "x-flash-version": "green",
        "x-flash-override-token": TESTER_TOKEN,
        "x-flash-shadow": "1",
        "x-client-id": "c1",
      },
      body: '{"runway_months": 12}',
    });
    const replayable = await toOutgoing(request, true);
    expect(replayable.url).toBe("https://router.test/predict?strict=true");
    expect([...replayable.headers.keys()].sort()).toEqual(["authorization", "content-type", "x-client-id"]);
    expect(new TextDecoder().decode(replayable.body as ArrayBuffer)).toBe('{"runway_months": 12}');
    const streamed = await toOutgoing(new Request("https://router.test/predict", { method: "POST", body: "{}" }), false);
    expect(streamed.replayable).toBe(false);
    expect(streamed.body).toBeInstanceOf(ReadableStream);
    expect((await toOutgoing(new Request("https://router.test/health"), true)).body).toBeNull();
  });
});
