/**
 * A protobuf writer for messages made by hand in tests (remote write requests, a Prometheus page in the
 * protobuf exposition format): each function returns a field's bytes, tag included.
 */
export const pb = {
  varint(n: number): number[] {
    const out: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      out.push(b);
    } while (n > 0);
    return out;
  },
  tag: (field: number, wire: number) => pb.varint(field * 8 + wire),
  uint: (field: number, n: number) => [...pb.tag(field, 0), ...pb.varint(n)],
  sint: (field: number, n: number) => [...pb.tag(field, 0), ...pb.varint(n >= 0 ? 2 * n : -2 * n - 1)],
  double(field: number, v: number): number[] {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return [...pb.tag(field, 1), ...b];
  },
  bytes: (field: number, body: number[]) => [...pb.tag(field, 2), ...pb.varint(body.length), ...body],
  string: (field: number, v: string) => pb.bytes(field, [...Buffer.from(v)]),
  packedSint: (field: number, ns: number[]) => pb.bytes(field, ns.flatMap((n) => pb.varint(n >= 0 ? 2 * n : -2 * n - 1))),
  packedDouble: (field: number, vs: number[]) => pb.bytes(field, vs.flatMap((v) => pb.double(0, v).slice(1))),
  span: (field: number, offset: number, length: number) => pb.bytes(field, [...pb.sint(1, offset), ...pb.uint(2, length)]),
};
