/**
 * A minimal PDF writer for charts: one page the size of the chart holding its rendering as an
 * image (RGB, Flate-compressed). Enough for Ludwig's `--file_format pdf`; the vector forms are
 * SVG and HTML.
 *
 * @module
 */
import { deflateSync } from "node:zlib";

/** An RGB raster: `width × height` pixels, 3 bytes each, rows top to bottom. */
export interface RgbImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** The pixels, `width * height * 3` bytes. */
  data: Uint8Array;
}

/** Options of {@linkcode imagePdf}. */
export interface ImagePdfOptions {
  /** The page width in points (1/72 inch); the page height keeps the image's aspect ratio. */
  pageWidth: number;
  /** The document title (the Info dictionary). */
  title?: string;
}

/** A PDF string literal: parentheses and backslashes escaped, non-ASCII replaced. */
function pdfString(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return `(${ascii.replaceAll("\\", "\\\\").replaceAll("(", "\\(").replaceAll(")", "\\)")})`;
}

/**
 * A one-page PDF showing an image across the whole page.
 *
 * @param image The RGB pixels.
 * @param options The page width in points and a title.
 * @returns The PDF bytes.
 * @throws {RangeError} When the pixel data does not match the size.
 *
 * @example A 2×1 image
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { imagePdf } from "./pdf.ts";
 * const pdf = imagePdf({ width: 2, height: 1, data: new Uint8Array(6) }, { pageWidth: 144 });
 * assert(new TextDecoder().decode(pdf).startsWith("%PDF-1.4"));
 * ```
 */
export function imagePdf(image: RgbImage, options: ImagePdfOptions): Uint8Array {
  const { width, height, data } = image;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new RangeError(
      `Cannot write PDF: expected ${width}×${height}×3 bytes of RGB pixels, received ${data.length}`,
    );
  }
  const pageWidth = options.pageWidth;
  const pageHeight = pageWidth * height / width;
  const num = (x: number) => Number(x.toFixed(3)).toString();
  const pixels = deflateSync(data, { level: 6 });
  const content = new TextEncoder().encode(
    `q ${num(pageWidth)} 0 0 ${num(pageHeight)} 0 0 cm /Im0 Do Q\n`,
  );
  const objects: (string | [string, Uint8Array])[] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${num(pageWidth)} ${num(pageHeight)}] ` +
    "/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
    [`<< /Length ${content.length} >>`, content],
    [
      `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} ` +
      `/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${pixels.length} >>`,
      pixels,
    ],
    `<< /Title ${pdfString(options.title ?? "chart")} /Producer (Sonata) >>`,
  ];
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    offset += bytes.length;
  };
  // The binary comment marks the file as binary for transfer tools.
  push(encoder.encode("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"));
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(offset);
    if (typeof object === "string") {
      push(encoder.encode(`${i + 1} 0 obj\n${object}\nendobj\n`));
    } else {
      push(encoder.encode(`${i + 1} 0 obj\n${object[0]}\nstream\n`));
      push(object[1]);
      push(encoder.encode("\nendstream\nendobj\n"));
    }
  });
  const xref = offset;
  const entries = offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  push(encoder.encode(
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}` +
      `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\n` +
      `startxref\n${xref}\n%%EOF\n`,
  ));
  const out = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
