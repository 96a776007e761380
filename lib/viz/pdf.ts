/**
 * PDF output for charts (Ludwig's default `--file_format pdf`), with no native dependency:
 *
 * - {@linkcode svgToPdf}: a vector PDF drawn from the SVG that Vega renders — paths (arcs and
 *   quadratic curves as cubic Béziers), lines, rects, group transforms, clipping, fill and stroke
 *   opacity and blend modes (ExtGState), dashes, linear and radial gradients (shading patterns),
 *   embedded data-URL images, and text in the PDF standard fonts (Helvetica, Times, Courier), placed
 *   with their Adobe metrics so anchors and centering are right.
 * - {@linkcode imagePdf}: one page holding an RGB raster (the chart's PNG rendering).
 *
 * Both write one page the chart's size: CSS pixels become points at 96 dpi (×0.75).
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { ENCODING_DIFFERENCES, FONT_WIDTHS, UPPER_CODES } from "./_font_metrics.ts";
import {
  apply,
  IDENTITY,
  type Matrix,
  multiply,
  parsePath,
  parseSvg,
  parseTransform,
  type Segment,
  segmentBounds,
  type SvgElement,
} from "./_svg.ts";

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
  const objects: PdfObject[] = [
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
  return writePdf(objects);
}

/** One indirect object: a dictionary (or other value) as text, or a stream's dictionary and bytes. */
type PdfObject = string | [string, Uint8Array];

/** Serialize objects 1..n (the catalog first, the Info dictionary last) with an exact xref. */
function writePdf(objects: readonly PdfObject[]): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    offset += bytes.length;
  };
  // The binary comment marks the file as binary for transfer tools.
  push(
    Uint8Array.from(
      [..."%PDF-1.4\n%"].map((c) => c.charCodeAt(0)).concat([0xe2, 0xe3, 0xcf, 0xd3, 10]),
    ),
  );
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

// ---------------------------------------------------------------------------------------------
// Vector PDF from SVG

/** Options of {@linkcode svgToPdf}. */
export interface SvgPdfOptions {
  /** The document title (the Info dictionary). */
  title?: string;
  /** Called with a message for each part of the SVG that could not be drawn as it is. */
  onWarning?: (message: string) => void;
}

/** An RGB colour (0-255 channels) with its alpha. */
interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Inherited presentation attributes while walking the tree. */
interface Style {
  fill: string;
  fillOpacity: number;
  fillRule: string;
  stroke: string;
  strokeOpacity: number;
  strokeWidth: number;
  cap: string;
  join: string;
  miter: number;
  dash: string;
  dashOffset: number;
  fontFamily: string;
  fontSize: number;
  fontWeight: string;
  fontStyle: string;
  anchor: string;
  /** The product of the ancestors' `opacity` (group opacity is applied to each child). */
  opacity: number;
  blend: string;
  visibility: string;
}

const INITIAL_STYLE: Style = {
  fill: "black",
  fillOpacity: 1,
  fillRule: "nonzero",
  stroke: "none",
  strokeOpacity: 1,
  strokeWidth: 1,
  cap: "butt",
  join: "miter",
  miter: 4,
  dash: "none",
  dashOffset: 0,
  fontFamily: "sans-serif",
  fontSize: 16,
  fontWeight: "normal",
  fontStyle: "normal",
  anchor: "start",
  opacity: 1,
  blend: "normal",
  visibility: "visible",
};

const BLEND_MODES: Record<string, string> = {
  normal: "Normal",
  multiply: "Multiply",
  screen: "Screen",
  overlay: "Overlay",
  darken: "Darken",
  lighten: "Lighten",
  "color-dodge": "ColorDodge",
  "color-burn": "ColorBurn",
  "hard-light": "HardLight",
  "soft-light": "SoftLight",
  difference: "Difference",
  exclusion: "Exclusion",
  hue: "Hue",
  saturation: "Saturation",
  color: "Color",
  luminosity: "Luminosity",
};

/** A number for a content stream: at most 3 decimals, no exponent, no "-0". */
function num(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const r = Math.round(x * 1000) / 1000;
  return Object.is(r, -0) || r === 0 ? "0" : String(r);
}

/** Unicode code point → the byte Sonata's font encoding uses (WinAnsi plus the differences). */
const CODE_OF: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  for (let c = 32; c < 127; c++) map.set(c, c);
  for (let c = 160; c < 256; c++) map.set(c, c);
  for (const [code, unicode] of UPPER_CODES) map.set(unicode, code);
  return map;
})();

/** The standard-14 font for a CSS font family, weight and style. */
export function standardFont(family: string, weight: string, style: string): string {
  const bold = weight === "bold" || weight === "bolder" || Number(weight) >= 600;
  const italic = style === "italic" || style === "oblique";
  let kind: "sans" | "serif" | "mono" = "sans";
  for (const raw of family.split(",")) {
    const name = raw.trim().replace(/^['"]|['"]$/g, "").toLowerCase();
    if (/mono|courier|consol|menlo/.test(name)) kind = "mono";
    else if (/sans|helvetica|arial|verdana|tahoma|segoe|system-ui|roboto/.test(name)) kind = "sans";
    else if (/serif|times|georgia|garamond|cambria/.test(name)) kind = "serif";
    else continue;
    break;
  }
  if (kind === "mono") {
    return "Courier" +
      (bold && italic ? "-BoldOblique" : bold ? "-Bold" : italic ? "-Oblique" : "");
  }
  if (kind === "serif") {
    return bold && italic
      ? "Times-BoldItalic"
      : bold
      ? "Times-Bold"
      : italic
      ? "Times-Italic"
      : "Times-Roman";
  }
  return "Helvetica" +
    (bold && italic ? "-BoldOblique" : bold ? "-Bold" : italic ? "-Oblique" : "");
}

/** The widths table of a standard font (oblique Helvetica has the upright widths). */
function widthsOf(font: string): readonly number[] | undefined {
  if (font.startsWith("Courier")) return undefined;
  return FONT_WIDTHS[font.replace("-BoldOblique", "-Bold").replace("-Oblique", "")];
}

/**
 * The width of a string in a standard font, in units of the font size (em).
 *
 * @param text The text.
 * @param font A standard-14 font name from {@linkcode standardFont}.
 * @returns The advance width in em.
 */
export function textWidth(text: string, font: string): number {
  const widths = widthsOf(font);
  let total = 0;
  for (const ch of text) {
    const code = CODE_OF.get(ch.codePointAt(0)!) ?? 63; // "?" for what the fonts lack
    total += widths ? widths[code] : 600;
  }
  return total / 1000;
}

/** A PDF literal string of the encoded bytes of `text`; `missing` collects unencodable chars. */
function encodeText(text: string, missing: Set<string>): string {
  let out = "(";
  for (const ch of text) {
    let code = CODE_OF.get(ch.codePointAt(0)!);
    if (code === undefined) {
      if (ch === "\t" || ch === "\n" || ch === "\r") code = 32;
      else {
        missing.add(ch);
        code = 63;
      }
    }
    if (code === 40 || code === 41 || code === 92) out += "\\" + String.fromCharCode(code);
    else if (code >= 32 && code < 127) out += String.fromCharCode(code);
    else out += "\\" + code.toString(8).padStart(3, "0");
  }
  return out + ")";
}

function parseLength(value: string | undefined, fallback: number, relative = 0): number {
  if (value === undefined) return fallback;
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(px|pt|%|em)?\s*$/.exec(value);
  if (!m) return fallback;
  const x = Number(m[1]);
  if (m[2] === "%") return x / 100 * relative;
  if (m[2] === "pt") return x * 4 / 3;
  return x;
}

function parseOffset(value: string | undefined): number {
  if (value === undefined) return 0;
  const v = value.trim();
  const x = v.endsWith("%") ? Number(v.slice(0, -1)) / 100 : Number(v);
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** The attributes and `style="…"` declarations of an element, the latter winning. */
function attributesOf(el: SvgElement): Record<string, string> {
  const style = el.attrs.style;
  if (!style) return el.attrs;
  const out = { ...el.attrs };
  for (const decl of style.split(";")) {
    const colon = decl.indexOf(":");
    if (colon > 0) out[decl.slice(0, colon).trim()] = decl.slice(colon + 1).trim();
  }
  return out;
}

function inherit(parent: Style, a: Record<string, string>): Style {
  const s = { ...parent };
  const num01 = (v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const x = v.trim().endsWith("%") ? Number(v.trim().slice(0, -1)) / 100 : Number(v);
    return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : d;
  };
  if (a.fill !== undefined && a.fill !== "inherit") s.fill = a.fill;
  if (a.stroke !== undefined && a.stroke !== "inherit") s.stroke = a.stroke;
  s.fillOpacity = num01(a["fill-opacity"], s.fillOpacity);
  s.strokeOpacity = num01(a["stroke-opacity"], s.strokeOpacity);
  if (a["fill-rule"]) s.fillRule = a["fill-rule"];
  if (a["stroke-width"] !== undefined) {
    s.strokeWidth = parseLength(a["stroke-width"], s.strokeWidth);
  }
  if (a["stroke-linecap"]) s.cap = a["stroke-linecap"];
  if (a["stroke-linejoin"]) s.join = a["stroke-linejoin"];
  if (a["stroke-miterlimit"] !== undefined) {
    s.miter = Math.max(1, Number(a["stroke-miterlimit"]) || s.miter);
  }
  if (a["stroke-dasharray"] !== undefined) s.dash = a["stroke-dasharray"];
  if (a["stroke-dashoffset"] !== undefined) {
    s.dashOffset = parseLength(a["stroke-dashoffset"], 0);
  }
  if (a["font-family"]) s.fontFamily = a["font-family"];
  if (a["font-size"]) s.fontSize = parseLength(a["font-size"], s.fontSize, s.fontSize);
  if (a["font-weight"]) s.fontWeight = a["font-weight"];
  if (a["font-style"]) s.fontStyle = a["font-style"];
  if (a["text-anchor"]) s.anchor = a["text-anchor"];
  if (a.visibility) s.visibility = a.visibility;
  s.opacity = parent.opacity * num01(a.opacity, 1);
  s.blend = a["mix-blend-mode"] ?? "normal";
  return s;
}

/** The builder of one page: content operators and the resources they use. */
class PageBuilder {
  readonly ops: string[] = [];
  readonly objects: PdfObject[] = [];
  readonly fonts = new Map<string, string>();
  readonly states = new Map<string, string>();
  readonly patterns = new Map<string, number>();
  readonly images = new Map<string, number>();
  readonly imageSizes = new Map<string, { w: number; h: number }>();
  readonly shadings = new Map<string, number>();
  readonly missing = new Set<string>();
  readonly warnings = new Set<string>();
  readonly defs = new Map<string, SvgElement>();
  /** Object numbers are assigned after the fixed objects (catalog, pages, page, content). */
  readonly firstObject = 5;

  constructor(readonly parseColor: (text: string) => Rgba | undefined) {}

  addObject(object: PdfObject): number {
    this.objects.push(object);
    return this.firstObject + this.objects.length - 1;
  }

  font(name: string): string {
    let key = this.fonts.get(name);
    if (!key) {
      key = `F${this.fonts.size + 1}`;
      this.fonts.set(name, key);
    }
    return key;
  }

  state(fillAlpha: number, strokeAlpha: number, blend: string): string | undefined {
    const bm = BLEND_MODES[blend] ?? "Normal";
    if (fillAlpha >= 1 && strokeAlpha >= 1 && bm === "Normal") return undefined;
    const key = `/ca ${num(fillAlpha)} /CA ${num(strokeAlpha)}${
      bm === "Normal" ? "" : ` /BM /${bm}`
    }`;
    let name = this.states.get(key);
    if (!name) {
      name = `GS${this.states.size + 1}`;
      this.states.set(key, name);
    }
    return name;
  }
}

/** A fill or stroke paint: a colour, a gradient pattern to place, or nothing. */
type Paint =
  | { kind: "none" }
  | { kind: "color"; color: Rgba }
  | { kind: "gradient"; element: SvgElement; slice: boolean };

function resolvePaint(page: PageBuilder, value: string): Paint {
  const v = value.trim();
  if (v === "none" || v === "transparent" || v === "") return { kind: "none" };
  const url = /^url\(\s*['"]?#([^'")]+)['"]?\s*\)/.exec(v);
  if (url) {
    const target = page.defs.get(url[1]);
    if (target?.tag === "linearGradient" || target?.tag === "radialGradient") {
      return { kind: "gradient", element: target, slice: false };
    }
    if (target?.tag === "pattern") {
      // Vega wraps radial gradients in a unit pattern filled by one rect (xMidYMid slice).
      const rect = target.children.find((c): c is SvgElement =>
        typeof c !== "string" && c.tag === "rect"
      );
      const inner = rect ? /^url\(\s*#([^)]+)\)/.exec(rect.attrs.fill ?? "") : null;
      const gradient = inner ? page.defs.get(inner[1]) : undefined;
      if (gradient && (gradient.tag === "radialGradient" || gradient.tag === "linearGradient")) {
        return { kind: "gradient", element: gradient, slice: true };
      }
    }
    page.warnings.add(`paint ${v} is not a gradient this writer knows; drawn without it`);
    const fallback = /\)\s*(.+)$/.exec(v)?.[1];
    return fallback ? resolvePaint(page, fallback) : { kind: "none" };
  }
  if (v === "currentColor") return { kind: "color", color: { r: 0, g: 0, b: 0, a: 1 } };
  const color = page.parseColor(v);
  if (!color) {
    page.warnings.add(`unknown colour "${v}"; drawn without it`);
    return { kind: "none" };
  }
  return color.a <= 0 ? { kind: "none" } : { kind: "color", color };
}

function rgbOps(c: Rgba, stroke: boolean): string {
  return `${num(c.r / 255)} ${num(c.g / 255)} ${num(c.b / 255)} ${stroke ? "RG" : "rg"}`;
}

/** A shading dictionary (object number) for a gradient element, shared by its uses. */
function shadingFor(page: PageBuilder, gradient: SvgElement): number | Rgba {
  const stops = gradient.children
    .filter((c): c is SvgElement => typeof c !== "string" && c.tag === "stop")
    .map((stop) => {
      const a = attributesOf(stop);
      const color = page.parseColor(a["stop-color"] ?? "black") ?? { r: 0, g: 0, b: 0, a: 1 };
      return { offset: parseOffset(a.offset), color };
    });
  if (stops.length === 0) return { r: 0, g: 0, b: 0, a: 0 };
  for (let i = 1; i < stops.length; i++) {
    stops[i].offset = Math.max(stops[i].offset, stops[i - 1].offset);
  }
  if (stops.length === 1) return stops[0].color;
  if (stops.some((s) => s.color.a < 1)) {
    page.warnings.add("gradient stop opacity is drawn opaque");
  }
  const id = gradient.attrs.id ?? `anonymous${page.shadings.size}`;
  const cached = page.shadings.get(id);
  if (cached !== undefined) return cached;
  const all = [...stops];
  if (all[0].offset > 0) all.unshift({ offset: 0, color: all[0].color });
  if (all[all.length - 1].offset < 1) all.push({ offset: 1, color: all[all.length - 1].color });
  const rgb = (c: Rgba) => `[${num(c.r / 255)} ${num(c.g / 255)} ${num(c.b / 255)}]`;
  const pieces = [];
  for (let i = 0; i + 1 < all.length; i++) {
    pieces.push(
      `<< /FunctionType 2 /Domain [0 1] /C0 ${rgb(all[i].color)} /C1 ${
        rgb(all[i + 1].color)
      } /N 1 >>`,
    );
  }
  const fn = pieces.length === 1
    ? pieces[0]
    : `<< /FunctionType 3 /Domain [0 1] /Functions [${pieces.join(" ")}] /Bounds [${
      all.slice(1, -1).map((s) => num(s.offset)).join(" ")
    }] /Encode [${pieces.map(() => "0 1").join(" ")}] >>`;
  const g = gradient.attrs;
  const coords = gradient.tag === "linearGradient"
    ? `/ShadingType 2 /Coords [${num(parseFrac(g.x1, 0))} ${num(parseFrac(g.y1, 0))} ${
      num(parseFrac(g.x2, 1))
    } ${num(parseFrac(g.y2, 0))}]`
    : `/ShadingType 3 /Coords [${num(parseFrac(g.fx ?? g.cx, 0.5))} ${
      num(parseFrac(g.fy ?? g.cy, 0.5))
    } ${num(parseFrac(g.fr, 0))} ${num(parseFrac(g.cx, 0.5))} ${num(parseFrac(g.cy, 0.5))} ${
      num(parseFrac(g.r, 0.5))
    }]`;
  const ref = page.addObject(
    `<< ${coords} /ColorSpace /DeviceRGB /Function ${fn} /Extend [true true] >>`,
  );
  page.shadings.set(id, ref);
  return ref;
}

function parseFrac(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const v = value.trim();
  const x = v.endsWith("%") ? Number(v.slice(0, -1)) / 100 : Number(v);
  return Number.isFinite(x) ? x : fallback;
}

/**
 * Set a paint for the next fill or stroke. Gradients become shading patterns whose matrix maps
 * the gradient's unit square onto the shape's bounding box in page space.
 *
 * @returns Whether anything is to be painted.
 */
function setPaint(
  page: PageBuilder,
  paint: Paint,
  stroke: boolean,
  ctm: Matrix,
  bbox: { x: number; y: number; width: number; height: number } | undefined,
): boolean {
  if (paint.kind === "none") return false;
  if (paint.kind === "color") {
    page.ops.push(rgbOps(paint.color, stroke));
    return true;
  }
  const shading = shadingFor(page, paint.element);
  if (typeof shading !== "number") {
    if (shading.a <= 0) return false;
    page.ops.push(rgbOps(shading, stroke));
    return true;
  }
  let unit: Matrix;
  if (paint.element.attrs.gradientUnits === "userSpaceOnUse" && !paint.slice) {
    unit = [...IDENTITY];
  } else {
    if (!bbox || bbox.width <= 0 && bbox.height <= 0) return false;
    const w = bbox.width || 1e-6, h = bbox.height || 1e-6;
    if (paint.slice) {
      const side = Math.max(w, h);
      unit = [side, 0, 0, side, bbox.x + (w - side) / 2, bbox.y + (h - side) / 2];
    } else unit = [w, 0, 0, h, bbox.x, bbox.y];
  }
  const gradientTransform = parseTransform(paint.element.attrs.gradientTransform);
  const matrix = multiply(multiply(gradientTransform, unit), ctm);
  const key = `${shading}:${matrix.map(num).join(" ")}`;
  let ref = page.patterns.get(key);
  if (ref === undefined) {
    ref = page.addObject(
      `<< /Type /Pattern /PatternType 2 /Shading ${shading} 0 R /Matrix [${
        matrix.map(num).join(" ")
      }] >>`,
    );
    page.patterns.set(key, ref);
  }
  page.ops.push(`/Pattern ${stroke ? "CS" : "cs"} /P${ref} ${stroke ? "SCN" : "scn"}`);
  return true;
}

function pathOps(segments: readonly Segment[]): string {
  const out: string[] = [];
  for (const s of segments) {
    switch (s.op) {
      case "M":
        out.push(`${num(s.x)} ${num(s.y)} m`);
        break;
      case "L":
        out.push(`${num(s.x)} ${num(s.y)} l`);
        break;
      case "C":
        out.push(
          `${num(s.x1)} ${num(s.y1)} ${num(s.x2)} ${num(s.y2)} ${num(s.x)} ${num(s.y)} c`,
        );
        break;
      case "Z":
        out.push("h");
        break;
    }
  }
  return out.join("\n");
}

function rectSegments(x: number, y: number, w: number, h: number, rx = 0, ry = 0): Segment[] {
  if (!(w > 0 && h > 0)) return [];
  if (rx <= 0 && ry <= 0) {
    return [
      { op: "M", x, y },
      { op: "L", x: x + w, y },
      { op: "L", x: x + w, y: y + h },
      { op: "L", x, y: y + h },
      { op: "Z" },
    ];
  }
  rx = Math.min(rx || ry, w / 2);
  ry = Math.min(ry || rx, h / 2);
  const k = 0.5522847498;
  return [
    { op: "M", x: x + rx, y },
    { op: "L", x: x + w - rx, y },
    {
      op: "C",
      x1: x + w - rx + k * rx,
      y1: y,
      x2: x + w,
      y2: y + ry - k * ry,
      x: x + w,
      y: y + ry,
    },
    { op: "L", x: x + w, y: y + h - ry },
    {
      op: "C",
      x1: x + w,
      y1: y + h - ry + k * ry,
      x2: x + w - rx + k * rx,
      y2: y + h,
      x: x + w - rx,
      y: y + h,
    },
    { op: "L", x: x + rx, y: y + h },
    { op: "C", x1: x + rx - k * rx, y1: y + h, x2: x, y2: y + h - ry + k * ry, x, y: y + h - ry },
    { op: "L", x, y: y + ry },
    { op: "C", x1: x, y1: y + ry - k * ry, x2: x + rx - k * rx, y2: y, x: x + rx, y },
    { op: "Z" },
  ];
}

function ellipseSegments(cx: number, cy: number, rx: number, ry: number): Segment[] {
  if (!(rx > 0 && ry > 0)) return [];
  const d = `M${cx + rx},${cy}A${rx},${ry},0,1,1,${cx - rx},${cy}A${rx},${ry},0,1,1,${
    cx + rx
  },${cy}Z`;
  return parsePath(d);
}

/** The geometry of a shape element in its own coordinates, or undefined for non-shapes. */
function shapeSegments(el: SvgElement, a: Record<string, string>): Segment[] | undefined {
  const n = (name: string, d = 0) => parseLength(a[name], d);
  switch (el.tag) {
    case "path":
      return parsePath(a.d ?? "");
    case "rect":
      return rectSegments(n("x"), n("y"), n("width"), n("height"), n("rx"), n("ry"));
    case "line":
      return [{ op: "M", x: n("x1"), y: n("y1") }, { op: "L", x: n("x2"), y: n("y2") }];
    case "circle":
      return ellipseSegments(n("cx"), n("cy"), n("r"), n("r"));
    case "ellipse":
      return ellipseSegments(n("cx"), n("cy"), n("rx"), n("ry"));
    case "polyline":
    case "polygon": {
      const values = (a.points ?? "").match(/[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g) ?? [];
      const segments: Segment[] = [];
      for (let i = 0; i + 1 < values.length; i += 2) {
        segments.push({ op: i === 0 ? "M" : "L", x: Number(values[i]), y: Number(values[i + 1]) });
      }
      if (el.tag === "polygon" && segments.length) segments.push({ op: "Z" });
      return segments;
    }
    default:
      return undefined;
  }
}

function dashOps(style: Style): string {
  const values = style.dash === "none"
    ? []
    : (style.dash.match(/[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g) ?? []).map(Number);
  if (values.length === 0 || values.some((v) => v < 0) || values.every((v) => v === 0)) {
    return "[] 0 d";
  }
  const pattern = values.length % 2 === 1 ? [...values, ...values] : values;
  return `[${pattern.map(num).join(" ")}] ${num(style.dashOffset)} d`;
}

const CAPS: Record<string, number> = { butt: 0, round: 1, square: 2 };
const JOINS: Record<string, number> = { miter: 0, "miter-clip": 0, round: 1, bevel: 2, arcs: 0 };

/**
 * Resolves the style's fill and stroke paints and their alphas; when either paints anything,
 * opens a graphics state (`q`, and `gs` for the alphas and blend mode, closed by the caller's
 * `Q`) and sets the paints, a gradient's box being `bbox` (the geometry's box, as in SVG).
 * Returns which of the two were set, or undefined when nothing would be painted.
 */
function beginPaint(
  page: PageBuilder,
  style: Style,
  ctm: Matrix,
  bbox: { x: number; y: number; width: number; height: number } | undefined,
  strokeOnly = false,
): { filled: boolean; stroked: boolean } | undefined {
  const fill: Paint = strokeOnly ? { kind: "none" } : resolvePaint(page, style.fill);
  const stroke: Paint = style.strokeWidth > 0 ? resolvePaint(page, style.stroke) : { kind: "none" };
  const fillAlpha = style.opacity * style.fillOpacity * (fill.kind === "color" ? fill.color.a : 1);
  const strokeAlpha = style.opacity * style.strokeOpacity *
    (stroke.kind === "color" ? stroke.color.a : 1);
  const doFill = fill.kind !== "none" && fillAlpha > 0;
  const doStroke = stroke.kind !== "none" && strokeAlpha > 0;
  if (!doFill && !doStroke) return undefined;
  page.ops.push("q");
  const gs = page.state(doFill ? fillAlpha : 1, doStroke ? strokeAlpha : 1, style.blend);
  if (gs) page.ops.push(`/${gs} gs`);
  const filled = doFill && setPaint(page, fill, false, ctm, bbox);
  const stroked = doStroke && setPaint(page, stroke, true, ctm, bbox);
  return { filled, stroked };
}

/** Fill and/or stroke segments with the style's paints. */
function paintShape(
  page: PageBuilder,
  segments: Segment[],
  style: Style,
  ctm: Matrix,
  strokeOnly = false,
) {
  if (segments.length === 0 || style.visibility === "hidden") return;
  const painted = beginPaint(page, style, ctm, segmentBounds(segments), strokeOnly);
  if (!painted) return;
  const { filled, stroked } = painted;
  if (stroked) {
    page.ops.push(
      `${num(style.strokeWidth)} w ${CAPS[style.cap] ?? 0} J ${JOINS[style.join] ?? 0} j ${
        num(style.miter)
      } M ${dashOps(style)}`,
    );
  }
  if (filled || stroked) {
    const evenOdd = style.fillRule === "evenodd" ? "*" : "";
    page.ops.push(pathOps(segments));
    page.ops.push(filled && stroked ? `B${evenOdd}` : filled ? `f${evenOdd}` : "S");
  }
  page.ops.push("Q");
}

/** The clip path an element references, as path operators ending in `W n`, in its space. */
function clipOps(page: PageBuilder, ref: string | undefined): string | undefined {
  if (!ref || ref === "none") return undefined;
  const id = /^url\(\s*['"]?#([^'")]+)['"]?\s*\)/.exec(ref)?.[1];
  const clip = id ? page.defs.get(id) : undefined;
  if (!clip || clip.tag !== "clipPath") {
    page.warnings.add(`clip-path ${ref} not found; drawn unclipped`);
    return undefined;
  }
  const parts: string[] = [];
  let evenOdd = false;
  for (const child of clip.children) {
    if (typeof child === "string") continue;
    const a = attributesOf(child);
    const segments = shapeSegments(child, a);
    if (!segments) continue;
    const m = parseTransform(a.transform);
    const moved = m.every((v, i) => v === IDENTITY[i]) ? segments : transformSegments(segments, m);
    if (a["clip-rule"] === "evenodd") evenOdd = true;
    parts.push(pathOps(moved));
  }
  // An empty clip path hides everything: clip to nothing.
  if (parts.length === 0) parts.push("0 0 m h");
  return `${parts.join("\n")}\nW${evenOdd ? "*" : ""} n`;
}

function transformSegments(segments: readonly Segment[], m: Matrix): Segment[] {
  return segments.map((s) => {
    if (s.op === "Z") return s;
    if (s.op === "C") {
      const [x1, y1] = apply(m, s.x1, s.y1), [x2, y2] = apply(m, s.x2, s.y2);
      const [x, y] = apply(m, s.x, s.y);
      return { op: "C", x1, y1, x2, y2, x, y };
    }
    const [x, y] = apply(m, s.x, s.y);
    return { op: s.op, x, y };
  });
}

function isIdentity(m: Matrix): boolean {
  return m.every((v, i) => Math.abs(v - IDENTITY[i]) < 1e-12);
}

/** Draw a `<text>` element: each run anchored with the font's widths, glyphs upright. */
function drawText(page: PageBuilder, el: SvgElement, style: Style, ctm: Matrix) {
  if (style.visibility === "hidden") return;
  const runs: { text: string; x: number; y: number; style: Style; newChunk: boolean }[] = [];
  const a = attributesOf(el);
  let x = parseLength(a.x, 0) + parseLength(a.dx, 0);
  let y = parseLength(a.y, 0) + parseLength(a.dy, 0);
  const walk = (node: SvgElement, nodeStyle: Style, first: boolean) => {
    let newChunk = first;
    for (const child of node.children) {
      if (typeof child === "string") {
        const text = child.replace(/\s+/g, " ");
        if (text !== "") runs.push({ text, x, y, style: nodeStyle, newChunk });
        newChunk = false;
        x += textWidth(text, fontOf(nodeStyle)) * nodeStyle.fontSize;
      } else if (child.tag === "tspan") {
        const ta = attributesOf(child);
        const childStyle = inherit(nodeStyle, ta);
        if (ta.x !== undefined) x = parseLength(ta.x, x);
        if (ta.y !== undefined) y = parseLength(ta.y, y);
        x += parseLength(ta.dx, 0, childStyle.fontSize);
        y += parseLength(ta.dy, 0, childStyle.fontSize);
        walk(child, childStyle, ta.x !== undefined || ta.y !== undefined);
        newChunk = false;
      }
    }
  };
  walk(el, style, true);
  // Trim leading and trailing spaces of the whole text, as SVG collapses them.
  if (runs.length) {
    runs[0].text = runs[0].text.replace(/^ /, "");
    const last = runs[runs.length - 1];
    last.text = last.text.replace(/ $/, "");
  }
  // Anchor each chunk (a run that starts at an absolute position, with those that follow it).
  const chunks: (typeof runs)[] = [];
  for (const run of runs) {
    if (run.newChunk || chunks.length === 0) chunks.push([run]);
    else chunks[chunks.length - 1].push(run);
  }
  for (const chunk of chunks) {
    const width = chunk.reduce(
      (sum, r) => sum + textWidth(r.text, fontOf(r.style)) * r.style.fontSize,
      0,
    );
    const anchor = chunk[0].style.anchor;
    const shift = anchor === "middle" ? -width / 2 : anchor === "end" ? -width : 0;
    let cursor = chunk[0].x + shift;
    for (const run of chunk) {
      const font = fontOf(run.style);
      const w = textWidth(run.text, font) * run.style.fontSize;
      const runX = run === chunk[0] ? cursor : run.x + shift;
      drawRun(page, run.text, font, runX, run.y, w, run.style, ctm);
      cursor = runX + w;
    }
  }
}

function fontOf(style: Style): string {
  return standardFont(style.fontFamily, style.fontWeight, style.fontStyle);
}

function drawRun(
  page: PageBuilder,
  text: string,
  font: string,
  x: number,
  y: number,
  width: number,
  style: Style,
  ctm: Matrix,
) {
  if (text === "") return;
  const size = style.fontSize;
  const bbox = { x, y: y - size * 0.8, width, height: size };
  const painted = beginPaint(page, style, ctm, bbox);
  if (!painted) return;
  const { filled, stroked } = painted;
  if (stroked) page.ops.push(`${num(style.strokeWidth)} w`);
  const mode = filled && stroked ? 2 : filled ? 0 : stroked ? 1 : -1;
  if (mode >= 0) {
    // The page's y axis points down; the text matrix flips glyphs back upright.
    page.ops.push(
      `BT /${page.font(font)} ${num(size)} Tf ${mode} Tr 1 0 0 -1 ${num(x)} ${num(y)} Tm ${
        encodeText(text, page.missing)
      } Tj ET`,
    );
  }
  page.ops.push("Q");
}

/** Draw an `<image>` whose href is a data URL (decoded with sharp); others are skipped. */
async function drawImage(page: PageBuilder, el: SvgElement, style: Style) {
  const a = attributesOf(el);
  const href = a.href ?? a["xlink:href"] ?? "";
  const width = parseLength(a.width, 0), height = parseLength(a.height, 0);
  if (!(width > 0 && height > 0) || style.visibility === "hidden") return;
  const data = /^data:[^;,]*(;base64)?,(.*)$/s.exec(href);
  if (!data) {
    page.warnings.add(`image ${href.slice(0, 80)} is not a data: URL; left out`);
    return;
  }
  let ref = page.images.get(href);
  if (ref === undefined) {
    const bytes = data[1]
      ? Uint8Array.from(atob(data[2]), (c) => c.charCodeAt(0))
      : new TextEncoder().encode(decodeURIComponent(data[2]));
    try {
      const { default: sharp } = await import("npm:sharp@0.35.5");
      const { data: pixels, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({
        resolveWithObject: true,
      });
      const rgb = new Uint8Array(info.width * info.height * 3);
      const alpha = new Uint8Array(info.width * info.height);
      for (let i = 0; i < alpha.length; i++) {
        rgb[3 * i] = pixels[4 * i];
        rgb[3 * i + 1] = pixels[4 * i + 1];
        rgb[3 * i + 2] = pixels[4 * i + 2];
        alpha[i] = pixels[4 * i + 3];
      }
      const maskData = deflateSync(alpha);
      const mask = page.addObject([
        `<< /Type /XObject /Subtype /Image /Width ${info.width} /Height ${info.height} ` +
        `/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${maskData.length} >>`,
        maskData,
      ]);
      const rgbData = deflateSync(rgb);
      ref = page.addObject([
        `<< /Type /XObject /Subtype /Image /Width ${info.width} /Height ${info.height} ` +
        `/ColorSpace /DeviceRGB /BitsPerComponent 8 /SMask ${mask} 0 R /Filter /FlateDecode ` +
        `/Length ${rgbData.length} >>`,
        rgbData,
      ]);
      page.images.set(href, ref);
      page.imageSizes.set(href, { w: info.width, h: info.height });
    } catch (error) {
      page.warnings.add(`image could not be decoded (${(error as Error).message}); left out`);
      return;
    }
  }
  const size = page.imageSizes.get(href)!;
  let x = parseLength(a.x, 0), y = parseLength(a.y, 0), w = width, h = height;
  const aspect = (a.preserveAspectRatio ?? "xMidYMid meet").trim();
  if (aspect !== "none") {
    const [align = "xMidYMid", mode = "meet"] = aspect.split(/\s+/);
    const s = mode === "slice"
      ? Math.max(width / size.w, height / size.h)
      : Math.min(width / size.w, height / size.h);
    w = size.w * s;
    h = size.h * s;
    const fx = align.includes("xMid") ? 0.5 : align.includes("xMax") ? 1 : 0;
    const fy = align.includes("YMid") ? 0.5 : align.includes("YMax") ? 1 : 0;
    x += (width - w) * fx;
    y += (height - h) * fy;
    if (mode === "slice") {
      page.ops.push(
        `q ${num(parseLength(a.x, 0))} ${num(parseLength(a.y, 0))} ${num(width)} ${
          num(height)
        } re W n`,
      );
    }
  }
  const gs = page.state(style.opacity, 1, style.blend);
  page.ops.push(
    `q ${gs ? `/${gs} gs ` : ""}${num(w)} 0 0 ${num(-h)} ${num(x)} ${num(y + h)} cm /Im${ref} Do Q`,
  );
  if (aspect.endsWith("slice")) page.ops.push("Q");
}

function collectDefs(el: SvgElement, defs: Map<string, SvgElement>) {
  if (el.attrs.id) defs.set(el.attrs.id, el);
  for (const child of el.children) if (typeof child !== "string") collectDefs(child, defs);
}

const SKIPPED = new Set([
  "defs",
  "clipPath",
  "linearGradient",
  "radialGradient",
  "pattern",
  "title",
  "desc",
  "metadata",
  "style",
  "script",
  "mask",
  "marker",
  "symbol",
]);

async function drawElement(
  page: PageBuilder,
  el: SvgElement,
  parentStyle: Style,
  parentCtm: Matrix,
): Promise<void> {
  const a = attributesOf(el);
  if (a.display === "none" || SKIPPED.has(el.tag)) return;
  const style = inherit(parentStyle, a);
  const transform = parseTransform(a.transform);
  const ctm = multiply(transform, parentCtm);
  const clip = clipOps(page, a["clip-path"]);
  const local = !isIdentity(transform) || clip !== undefined;
  if (local) {
    page.ops.push("q");
    if (!isIdentity(transform)) page.ops.push(`${transform.map(num).join(" ")} cm`);
    if (clip) page.ops.push(clip);
  }
  switch (el.tag) {
    case "svg":
    case "g":
    case "a":
    case "switch":
      for (const child of el.children) {
        if (typeof child !== "string") await drawElement(page, child, style, ctm);
      }
      break;
    case "text":
      drawText(page, el, style, ctm);
      break;
    case "image":
      await drawImage(page, el, style);
      break;
    default: {
      const segments = shapeSegments(el, a);
      if (segments) paintShape(page, segments, style, ctm, el.tag === "line");
      else page.warnings.add(`<${el.tag}> is not drawn`);
    }
  }
  if (local) page.ops.push("Q");
}

/**
 * Draw an SVG document (as Vega renders it) onto a one-page vector PDF the document's size.
 * Text uses the PDF standard fonts: Helvetica for sans-serif families (Vega's default), Times
 * for serif ones and Courier for monospace ones, with WinAnsi characters plus −, ≤, ≥ and ≠;
 * other characters show as "?" (and are reported through `onWarning`).
 *
 * @param svg The SVG document.
 * @param options Title and a warning callback.
 * @returns The PDF bytes.
 * @throws {SyntaxError} When the SVG cannot be parsed.
 * @throws {RangeError} When the SVG has no positive size.
 *
 * @example A red square
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { svgToPdf } from "./pdf.ts";
 * const pdf = await svgToPdf(
 *   '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="10" height="10" fill="red"/></svg>',
 * );
 * assert(new TextDecoder().decode(pdf).startsWith("%PDF-1.4"));
 * ```
 */
export async function svgToPdf(svg: string, options: SvgPdfOptions = {}): Promise<Uint8Array> {
  const root = parseSvg(svg);
  if (root.tag !== "svg") throw new SyntaxError(`Cannot draw SVG: the root is <${root.tag}>`);
  const viewBox = (root.attrs.viewBox ?? "").split(/[\s,]+/).filter(Boolean).map(Number);
  const hasViewBox = viewBox.length === 4 && viewBox[2] > 0 && viewBox[3] > 0;
  const width = parseLength(root.attrs.width, hasViewBox ? viewBox[2] : 0);
  const height = parseLength(root.attrs.height, hasViewBox ? viewBox[3] : 0);
  if (!(width > 0 && height > 0)) {
    throw new RangeError(
      `Cannot draw SVG: expected a positive width and height, received ${root.attrs.width} × ${root.attrs.height}`,
    );
  }
  const pageWidth = width * 0.75, pageHeight = height * 0.75;
  const vega = await import("npm:vega@5.33.1");
  // d3-color (through Vega's expression functions) parses every CSS colour syntax and name.
  const d3rgb = vega.expressionFunction("rgb") as unknown as (
    text: string,
  ) => { r: number; g: number; b: number; opacity: number };
  const colors = new Map<string, Rgba | undefined>();
  const page = new PageBuilder((text) => {
    if (!colors.has(text)) {
      const c = d3rgb(text);
      colors.set(
        text,
        Number.isFinite(c.r) && Number.isFinite(c.g) && Number.isFinite(c.b)
          ? { r: c.r, g: c.g, b: c.b, a: Number.isFinite(c.opacity) ? c.opacity : 1 }
          : undefined,
      );
    }
    return colors.get(text);
  });
  collectDefs(root, page.defs);
  // CSS pixels → points with the y axis pointing down, then the viewBox.
  let base: Matrix = [0.75, 0, 0, -0.75, 0, pageHeight];
  if (hasViewBox) {
    const sx = width / viewBox[2], sy = height / viewBox[3];
    base = multiply([sx, 0, 0, sy, -viewBox[0] * sx, -viewBox[1] * sy], base);
  }
  page.ops.push(`${base.map(num).join(" ")} cm`);
  const { transform: _ignored, ...rootAttrs } = root.attrs;
  await drawElement(page, { ...root, attrs: rootAttrs }, INITIAL_STYLE, base);

  if (page.missing.size > 0) {
    page.warnings.add(
      `characters outside the PDF standard fonts' encoding are shown as "?": ${
        [...page.missing].join(" ")
      }`,
    );
  }
  for (const warning of page.warnings) options.onWarning?.(warning);

  const content = deflateSync(new TextEncoder().encode(page.ops.join("\n") + "\n"), { level: 6 });
  const differences = ENCODING_DIFFERENCES.map(([code, name]) => `${code} /${name}`).join(" ");
  const encoding = page.fonts.size > 0
    ? page.addObject(
      `<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [${differences}] >>`,
    )
    : 0;
  const fontDicts = [...page.fonts].map(([name, key]) =>
    `/${key} ${
      page.addObject(
        `<< /Type /Font /Subtype /Type1 /BaseFont /${name} /Encoding ${encoding} 0 R >>`,
      )
    } 0 R`
  );
  const states = [...page.states].map(([dict, name]) => `/${name} << /Type /ExtGState ${dict} >>`);
  const patterns = [...page.patterns.values()].map((ref) => `/P${ref} ${ref} 0 R`);
  const images = [...page.images.values()].map((ref) => `/Im${ref} ${ref} 0 R`);
  const resources = [
    `/ProcSet [/PDF /Text${images.length ? " /ImageC /ImageB" : ""}]`,
    fontDicts.length ? `/Font << ${fontDicts.join(" ")} >>` : "",
    states.length ? `/ExtGState << ${states.join(" ")} >>` : "",
    patterns.length ? `/Pattern << ${patterns.join(" ")} >>` : "",
    images.length ? `/XObject << ${images.join(" ")} >>` : "",
  ].filter(Boolean).join(" ");
  const objects: PdfObject[] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${num(pageWidth)} ${num(pageHeight)}] ` +
    `/Resources << ${resources} >> /Contents 4 0 R >>`,
    [`<< /Length ${content.length} /Filter /FlateDecode >>`, content],
    ...page.objects,
    `<< /Title ${pdfString(options.title ?? "chart")} /Producer (Sonata) >>`,
  ];
  return writePdf(objects);
}
