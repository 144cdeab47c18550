/**
 * A tiny protocol-buffers encoder: just what the ONNX writer needs (varints, strings, bytes,
 * packed int64/float, nested messages). Hand-written so the ONNX bytes depend on nothing but
 * our code: fields are written in the order the caller gives them, so the same model always
 * gives the same bytes (a protobuf library may reorder or change its output between versions).
 */

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LENGTH_DELIMITED = 2;

const textEncoder = new TextEncoder();

/** Grows a byte buffer as fields are appended; `finish()` returns exactly the written bytes. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  private readonly scratch = new DataView(new ArrayBuffer(4));

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /**
   * Unsigned or two's-complement varint. int64 values here are node ids, feature indices and
   * enum codes (all small and non-negative), but negatives are encoded as 10-byte varints as
   * protobuf requires, so the writer is correct for any safe integer.
   */
  varint(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer`);
    if (value < 0) {
      // Two's complement over 64 bits via BigInt: rare, so clarity over speed.
      let v = BigInt.asUintN(64, BigInt(value));
      while (v >= 0x80n) {
        this.byte(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      this.byte(Number(v));
      return this;
    }
    let v = value;
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(data: Uint8Array): this {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** Field helpers. Each writes one tag + value. */
  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    return this.varint(value);
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.scratch.setFloat32(0, value, true);
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.buf[this.len++] = this.scratch.getUint8(i);
    return this;
  }

  string(field: number, value: string): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    return this.bytes(textEncoder.encode(value));
  }

  message(field: number, body: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    return this.bytes(body);
  }

  /**
   * Packed repeated int64. ONNX's proto2 schema declares these unpacked, but every conforming
   * parser must accept both forms, and packed is several times smaller for large trees.
   */
  packedInts(field: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.varint(values[i]!);
    return this.message(field, inner.finish());
  }

  /** Packed repeated float (little-endian float32, as protobuf specifies). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.message(field, data);
  }

  /** Bytes already encoded as fields (tag included), appended as they are. */
  raw(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
