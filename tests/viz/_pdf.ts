/** A structural PDF reader for the tests: objects, exact xref and stream lengths, page content. */
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";

/** One indirect object: its dictionary text and, for a stream, the (inflated) bytes. */
export interface ParsedObject {
  dict: string;
  raw?: Uint8Array;
  data?: Uint8Array;
}

/** What {@linkcode readPdf} found. */
export interface ParsedPdf {
  text: string;
  objects: Map<number, ParsedObject>;
  /** The page's MediaBox [x0, y0, x1, y1]. */
  mediaBox: number[];
  /** The page's content stream, inflated, as text. */
  content: string;
}

const latin1 = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

/**
 * Parse a one-page PDF written by Sonata and check it: the header and trailer, every xref entry
 * points at its object, every stream's /Length is exact, every reference resolves.
 */
export function readPdf(pdf: Uint8Array): ParsedPdf {
  const text = latin1(pdf);
  assert.match(text, /^%PDF-1\.4\n/);
  assert.match(text, /%%EOF\n$/);
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
  assert.equal(text.slice(startxref, startxref + 5), "xref\n");
  const [, count] = /^xref\n0 (\d+)\n/.exec(text.slice(startxref))!.map(Number);
  const lines = text.slice(startxref).split("\n");
  assert.equal(lines[2], "0000000000 65535 f ");
  const objects = new Map<number, ParsedObject>();
  for (let i = 1; i < count; i++) {
    const line = lines[2 + i];
    assert.match(line, /^\d{10} 00000 n $/, `xref entry ${i}`);
    const offset = Number(line.slice(0, 10));
    const head = `${i} 0 obj\n`;
    assert.equal(text.slice(offset, offset + head.length), head, `object ${i} at ${offset}`);
    const body = offset + head.length;
    const end = text.indexOf("\nendobj\n", body);
    assert.ok(end > body, `object ${i} ends`);
    const streamAt = text.indexOf(">>\nstream\n", body);
    if (streamAt >= 0 && streamAt < end) {
      const dict = text.slice(body, streamAt + 2);
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
      const start = streamAt + ">>\nstream\n".length;
      assert.equal(
        text.slice(start + length, start + length + "\nendstream\nendobj\n".length),
        "\nendstream\nendobj\n",
        `object ${i}: /Length ${length} is exact`,
      );
      const raw = pdf.subarray(start, start + length);
      const data = dict.includes("/FlateDecode") ? new Uint8Array(inflateSync(raw)) : raw;
      objects.set(i, { dict, raw, data });
    } else objects.set(i, { dict: text.slice(body, end) });
  }
  assert.match(text.slice(startxref), new RegExp(`trailer\\n<< /Size ${count} /Root 1 0 R`));
  for (const m of text.matchAll(/(\d+) 0 R/g)) {
    assert.ok(objects.has(Number(m[1])), `reference ${m[0]} resolves`);
  }
  const page = [...objects.values()].find((o) => o.dict.includes("/Type /Page "))!;
  assert.ok(page, "a page object");
  const mediaBox = /\/MediaBox \[([^\]]+)\]/.exec(page.dict)![1].split(" ").map(Number);
  const contentRef = Number(/\/Contents (\d+) 0 R/.exec(page.dict)![1]);
  const content = latin1(objects.get(contentRef)!.data!);
  return { text, objects, mediaBox, content };
}

/** The strings a content stream shows with `Tj`, octal escapes decoded to WinAnsi bytes. */
export function shownStrings(content: string): string[] {
  return [...content.matchAll(/\(((?:\\.|[^\\)])*)\) Tj/g)].map((m) =>
    m[1].replace(
      /\\([0-7]{3}|.)/g,
      (_, e: string) => e.length === 3 ? String.fromCharCode(parseInt(e, 8)) : e,
    )
  );
}

/** The binary PPM (P6) image pdftoppm writes, as RGB pixels. */
export function readPpm(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const header = latin1(bytes.subarray(0, 64));
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(header);
  assert.ok(m, "a P6 PPM");
  const [whole, width, height] = m!;
  return {
    width: Number(width),
    height: Number(height),
    data: bytes.subarray(whole.length, whole.length + Number(width) * Number(height) * 3),
  };
}
