import { describe, expect, it } from "vitest";
import { bearerOf, constantTimeEqual, ipAllowed, matchesAnyToken, splitList } from "./access";

describe("tokens", () => {
  it("compares secrets exactly, whatever their lengths", () => {
    expect(constantTimeEqual("s3cret", "s3cret")).toBe(true);
    expect(constantTimeEqual("s3cret", "s3creT")).toBe(false);
    expect(constantTimeEqual("s3cre", "s3cret")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(false);
    expect(matchesAnyToken("b", ["a", "b"])).toBe(true);
    expect(matchesAnyToken(null, ["a"])).toBe(false);
    expect(matchesAnyToken("c", [])).toBe(false);
  });

  it("reads bearer tokens and lists", () => {
    expect(bearerOf("Bearer abc")).toBe("abc");
    expect(bearerOf("bearer   abc  ")).toBe("abc");
    expect(bearerOf("Basic abc")).toBeNull();
    expect(bearerOf("Bearer a b")).toBeNull();
    expect(splitList(" a, ,b ,")).toEqual(["a", "b"]);
    expect(splitList(undefined)).toEqual([]);
  });
});

describe("the /metrics allow-list", () => {
  it("matches exact addresses and IPv4 ranges", () => {
    const list = ["10.0.0.0/8", "192.168.1.7", "2001:db8::1"];
    expect(ipAllowed("10.20.30.40", list)).toBe(true);
    expect(ipAllowed("11.0.0.1", list)).toBe(false);
    expect(ipAllowed("192.168.1.7", list)).toBe(true);
    expect(ipAllowed("192.168.1.8", list)).toBe(false);
    expect(ipAllowed("2001:DB8::1", list)).toBe(true);
    expect(ipAllowed(null, list)).toBe(false);
    expect(ipAllowed("1.2.3.4", ["0.0.0.0/0"])).toBe(true);
    expect(ipAllowed("1.2.3.4", ["1.2.3.0/33", "garbage/8"])).toBe(false);
    expect(ipAllowed("1.2.3.4", [])).toBe(false);
  });
});
