import 'server-only';
import zlib from 'node:zlib';

/**
 * Puts bytes before and after the content of a gzip member without recompressing it: the job a
 * device sent gzip-compressed becomes the stored `{"job": …}` document around the device's own
 * deflate stream, as zlib's examples/gzjoin.c joins gzip files. Deflate blocks are not byte
 * aligned and nothing marks where they start, so the member is read block by block (Huffman
 * codes decoded, nothing written out) to find its last block; that block's "final" bit is
 * cleared, the suffix follows as a stored block, the prefix goes before as another, and the
 * trailer gets the new CRC-32 and length. A tenth of the time of compressing the content again.
 *
 * Returns undefined, and the caller compresses the document itself, whenever the member is not
 * exactly one well-formed gzip member whose deflate data decodes to `content.byteLength` bytes
 * ending right before its trailer.
 */
export function wrapGzipMember(
  member: Uint8Array,
  /** What the member inflates to (as zlib inflated it, CRC checked). */
  content: Uint8Array,
  prefix: Uint8Array,
  suffix: Uint8Array,
): Uint8Array | undefined {
  if (prefix.byteLength > 0xffff || suffix.byteLength > 0xffff) return undefined;
  const start = gzipHeaderLength(member);
  if (start === undefined) return undefined;
  const scan = scanDeflate(member, start);
  if (!scan || scan.outputBytes !== content.byteLength) return undefined;
  const endByte = Math.ceil(scan.endBit / 8);
  if (endByte + 8 !== member.byteLength) return undefined;
  const isize = readUint32(member, endByte + 4);
  if (isize !== content.byteLength % 2 ** 32) return undefined;

  const header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
  const deflateBits = scan.endBit - start * 8;
  // The member's deflate data, then the suffix's stored block header (3 bits), then padding.
  const bodyBytes = Math.ceil((deflateBits + 3) / 8);
  const total = header.length + 5 + prefix.byteLength + bodyBytes + 4 + suffix.byteLength + 8;
  const out = new Uint8Array(total);
  let at = 0;
  out.set(header, at);
  at += header.length;
  // The prefix: a stored block, not final (its 3 header bits are 0, then padding to the byte).
  at = storedBlock(out, at, prefix);
  // The member's deflate data, its last block no longer final.
  out.set(member.subarray(start, start + Math.ceil(deflateBits / 8)), at);
  const lastBit = scan.lastBlockBit - start * 8;
  out[at + (lastBit >> 3)]! &= ~(1 << (lastBit & 7));
  // Bits after the member's end-of-block are padding: cleared, then the suffix block's header
  // (final, stored: bits 1, 0, 0) goes there.
  const tailBit = deflateBits;
  const tailByte = at + (tailBit >> 3);
  if (tailBit & 7) out[tailByte]! &= (1 << (tailBit & 7)) - 1;
  else out[tailByte] = 0;
  out[tailByte]! |= 1 << (tailBit & 7);
  if ((tailBit & 7) > 5) out[tailByte + 1] = 0;
  at += bodyBytes;
  // The stored block's length and its complement, then the suffix.
  out[at++] = suffix.byteLength & 0xff;
  out[at++] = suffix.byteLength >> 8;
  out[at++] = ~suffix.byteLength & 0xff;
  out[at++] = (~suffix.byteLength >> 8) & 0xff;
  out.set(suffix, at);
  at += suffix.byteLength;
  // (zlib.crc32 of an empty buffer answers 0, not the CRC it was given: each part is skipped
  // when empty.)
  let crc = 0;
  for (const part of [prefix, content, suffix]) {
    if (part.byteLength > 0) crc = zlib.crc32(part, crc);
  }
  writeUint32(out, at, crc);
  writeUint32(out, at + 4, (prefix.byteLength + content.byteLength + suffix.byteLength) % 2 ** 32);
  return out;
}

function storedBlock(out: Uint8Array, at: number, bytes: Uint8Array): number {
  out[at++] = 0; // BFINAL 0, BTYPE 00, padding
  out[at++] = bytes.byteLength & 0xff;
  out[at++] = bytes.byteLength >> 8;
  out[at++] = ~bytes.byteLength & 0xff;
  out[at++] = (~bytes.byteLength >> 8) & 0xff;
  out.set(bytes, at);
  return at + bytes.byteLength;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  );
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/** The length of a gzip member's header (RFC 1952), or undefined if it is not one. */
function gzipHeaderLength(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) {
    return undefined;
  }
  const flags = bytes[3]!;
  if (flags & 0xe0) return undefined;
  let at = 10;
  if (flags & 4) at += 2 + (bytes[at]! | (bytes[at + 1]! << 8));
  for (const bit of [8, 16]) {
    if (flags & bit) {
      while (at < bytes.byteLength && bytes[at] !== 0) at++;
      at++;
    }
  }
  if (flags & 2) at += 2;
  return at < bytes.byteLength ? at : undefined;
}

// RFC 1951: the base length and extra bits of length codes 257..285, the same for distances.
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
];
const LENGTH_EXTRA = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A Huffman decoding table: entry `symbol << 4 | length` at every index whose low bits are a code. */
interface Table {
  readonly entries: Int32Array;
  readonly mask: number;
}

/** The canonical Huffman table for `lengths` (RFC 1951 3.2.2), or undefined if over-subscribed. */
function buildTable(lengths: ArrayLike<number>): Table | undefined {
  let maxBits = 1;
  const count = new Int32Array(16);
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    count[length]!++;
    if (length > maxBits) maxBits = length;
  }
  count[0] = 0;
  const next = new Int32Array(16);
  let code = 0;
  let left = 1;
  for (let bits = 1; bits <= 15; bits++) {
    left = (left << 1) - count[bits]!;
    if (left < 0) return undefined;
    code = (code + count[bits - 1]!) << 1;
    next[bits] = code;
  }
  const size = 1 << maxBits;
  const entries = new Int32Array(size);
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    const length = lengths[symbol]!;
    if (length === 0) continue;
    let value = next[length]!++;
    // Codes are sent most significant bit first: the table is indexed by the bits as they come.
    let reversed = 0;
    for (let i = 0; i < length; i++) {
      reversed = (reversed << 1) | (value & 1);
      value >>= 1;
    }
    const entry = (symbol << 4) | length;
    for (let index = reversed; index < size; index += 1 << length) entries[index] = entry;
  }
  return { entries, mask: size - 1 };
}

let fixedTables: { literal: Table; distance: Table } | undefined;

function fixed(): { literal: Table; distance: Table } {
  if (!fixedTables) {
    const lengths = new Uint8Array(288);
    lengths.fill(8, 0, 144);
    lengths.fill(9, 144, 256);
    lengths.fill(7, 256, 280);
    lengths.fill(8, 280, 288);
    fixedTables = {
      literal: buildTable(lengths)!,
      distance: buildTable(new Uint8Array(30).fill(5))!,
    };
  }
  return fixedTables;
}

/**
 * Reads the deflate stream that starts at byte `start`: where its last block starts and where its
 * end-of-block code ends (bit positions in `bytes`), and how many bytes it inflates to. Undefined
 * for anything malformed.
 */
function scanDeflate(
  bytes: Uint8Array,
  start: number,
): { lastBlockBit: number; endBit: number; outputBytes: number } | undefined {
  const length = bytes.byteLength;
  let pos = start;
  let bitBuf = 0;
  let bitCount = 0;
  let output = 0;
  // Refills to at least `need` (≤ 25) bits; past the end reads zeros (caught by the checks).
  const refill = (need: number) => {
    while (bitCount < need) {
      bitBuf |= (pos < length ? bytes[pos]! : 0) << bitCount;
      pos++;
      bitCount += 8;
    }
  };
  const bits = (n: number) => {
    refill(n);
    const value = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCount -= n;
    return value;
  };
  const decode = (table: Table): number => {
    refill(15);
    const entry = table.entries[bitBuf & table.mask]!;
    const used = entry & 15;
    if (used === 0) return -1;
    bitBuf >>>= used;
    bitCount -= used;
    return entry >> 4;
  };

  for (;;) {
    if (pos > length + 4) return undefined;
    const blockBit = pos * 8 - bitCount;
    const final = bits(1);
    const type = bits(2);
    if (type === 0) {
      // Stored: to the byte boundary (giving back whole bytes already buffered), LEN, NLEN,
      // LEN bytes.
      pos -= bitCount >> 3;
      bitBuf = 0;
      bitCount = 0;
      if (pos + 4 > length) return undefined;
      const len = bytes[pos]! | (bytes[pos + 1]! << 8);
      const nlen = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
      if ((len ^ 0xffff) !== nlen || pos + 4 + len > length) return undefined;
      pos += 4 + len;
      output += len;
    } else {
      let literal: Table;
      let distance: Table;
      if (type === 1) {
        ({ literal, distance } = fixed());
      } else if (type === 2) {
        const tables = readDynamicTables(bits, decode);
        if (!tables) return undefined;
        ({ literal, distance } = tables);
      } else {
        return undefined;
      }
      const literals = literal.entries;
      const literalMask = literal.mask;
      const distances = distance.entries;
      const distanceMask = distance.mask;
      for (;;) {
        if (bitCount < 15) {
          refill(25);
          if (pos > length + 4) return undefined;
        }
        const entry = literals[bitBuf & literalMask]!;
        const used = entry & 15;
        if (used === 0) return undefined;
        bitBuf >>>= used;
        bitCount -= used;
        const symbol = entry >> 4;
        if (symbol < 256) {
          output++;
          continue;
        }
        if (symbol === 256) break;
        const code = symbol - 257;
        if (code >= 29) return undefined;
        const extra = LENGTH_EXTRA[code]!;
        refill(20);
        output += LENGTH_BASE[code]! + (bitBuf & ((1 << extra) - 1));
        bitBuf >>>= extra;
        bitCount -= extra;
        refill(15);
        const distanceEntry = distances[bitBuf & distanceMask]!;
        const distanceUsed = distanceEntry & 15;
        if (distanceUsed === 0) return undefined;
        bitBuf >>>= distanceUsed;
        bitCount -= distanceUsed;
        const distanceCode = distanceEntry >> 4;
        if (distanceCode >= 30) return undefined;
        const distanceExtra = DISTANCE_EXTRA[distanceCode]!;
        if (distanceExtra > 0) {
          refill(distanceExtra);
          bitBuf >>>= distanceExtra;
          bitCount -= distanceExtra;
        }
      }
    }
    if (final) {
      const endBit = pos * 8 - bitCount;
      return endBit <= length * 8
        ? { lastBlockBit: blockBit, endBit, outputBytes: output }
        : undefined;
    }
  }
}

/** A dynamic block's literal/length and distance tables (RFC 1951 3.2.7). */
function readDynamicTables(
  bits: (n: number) => number,
  decode: (table: Table) => number,
): { literal: Table; distance: Table } | undefined {
  const literalCount = bits(5) + 257;
  const distanceCount = bits(5) + 1;
  const codeLengthCount = bits(4) + 4;
  if (literalCount > 286 || distanceCount > 30) return undefined;
  const codeLengthLengths = new Uint8Array(19);
  for (let i = 0; i < codeLengthCount; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]!] = bits(3);
  const codeLengths = buildTable(codeLengthLengths);
  if (!codeLengths) return undefined;
  const lengths = new Uint8Array(literalCount + distanceCount);
  for (let i = 0; i < lengths.length;) {
    const symbol = decode(codeLengths);
    if (symbol < 0) return undefined;
    if (symbol < 16) {
      lengths[i++] = symbol;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (symbol === 16) {
      if (i === 0) return undefined;
      value = lengths[i - 1]!;
      repeat = 3 + bits(2);
    } else if (symbol === 17) {
      repeat = 3 + bits(3);
    } else {
      repeat = 11 + bits(7);
    }
    if (i + repeat > lengths.length) return undefined;
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) return undefined;
  const literal = buildTable(lengths.subarray(0, literalCount));
  const distance = buildTable(lengths.subarray(literalCount));
  return literal && distance ? { literal, distance } : undefined;
}
