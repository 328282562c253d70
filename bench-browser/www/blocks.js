// Events laid out as IdbStore keeps them (src/store/block.rs): one block per
// written batch, the format byte 1 then, per record, the 32-byte id, the
// length (u32, little endian) and the bytes.

/** One block of `records`, each `[id, bytes]`. */
export function encodeBlock(records) {
  const block = new Uint8Array(1 + records.reduce((n, [, v]) => n + 36 + v.length, 0));
  const view = new DataView(block.buffer);
  block[0] = 1;
  let at = 1;
  for (const [key, value] of records) {
    block.set(key, at);
    view.setUint32(at + 32, value.length, true);
    block.set(value, at + 36);
    at += 36 + value.length;
  }
  return block;
}

/** `records` in blocks of `size` (512: the chunk `Node::receive_from` writes). */
export function encodeBlocks(records, size = 512) {
  const out = [];
  for (let i = 0; i < records.length; i += size) out.push(encodeBlock(records.slice(i, i + size)));
  return out;
}
