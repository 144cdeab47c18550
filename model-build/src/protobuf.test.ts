import { describe, expect, it } from "vitest";
import { ProtoWriter } from "./protobuf.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("ProtoWriter", () => {
  it("writes varints as protobuf does", () => {
    // The protobuf documentation's example: field 1 = 150 is 08 96 01.
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe("089601");
    expect(hex(new ProtoWriter().varint(0).varint(1).varint(127).varint(128).finish())).toBe("00017f8001");
    expect(hex(new ProtoWriter().varint(2 ** 40).finish())).toBe("808080808020");
  });

  it("writes negative int64 values as ten-byte two's complement", () => {
    expect(hex(new ProtoWriter().varint(-1).finish())).toBe("ffffffffffffffffff01");
  });

  it("writes strings, nested messages and little-endian floats", () => {
    // field 2 = "testing" is 12 07 74 65 73 74 69 6e 67 (protobuf docs)
    expect(hex(new ProtoWriter().string(2, "testing").finish())).toBe("120774657374696e67");
    expect(hex(new ProtoWriter().float(2, 1.5).finish())).toBe("150000c03f");
    const inner = new ProtoWriter().int(1, 150).finish();
    expect(hex(new ProtoWriter().message(3, inner).finish())).toBe("1a03089601");
  });

  it("writes packed repeated fields", () => {
    // field 4 packed [3, 270, 86942] is 22 06 03 8e 02 9e a7 05 (protobuf docs)
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe("2206038e029ea705");
    expect(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish())).toBe("3a080000803f000000c0");
  });

  it("refuses values it cannot encode exactly", () => {
    expect(() => new ProtoWriter().varint(1.5)).toThrow(RangeError);
    expect(() => new ProtoWriter().varint(2 ** 60)).toThrow(RangeError);
  });

  it("grows past its initial buffer", () => {
    const big = new Uint8Array(10_000).fill(7);
    const out = new ProtoWriter().message(1, big).finish();
    expect(out.length).toBe(1 + 2 + 10_000);
    expect(out[out.length - 1]).toBe(7);
  });
});
