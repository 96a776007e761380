/**
 * `Chart`: a plain Vega-Lite v5 spec (data inlined) that renders itself to SVG, PNG, HTML and
 * JSON files, and displays richly in Jupyter on the Deno kernel.
 *
 * Rendering happens without a browser: Vega-Lite compiles the spec to Vega, a headless
 * `vega.View` draws it to SVG, and `sharp` (librsvg) rasterizes the SVG to PNG. PNG text needs
 * a system font that fontconfig can find (on Debian: `apt-get install fonts-dejavu-core`).
 * PDF is drawn as vector graphics from the SVG (`./pdf.ts`); HTML pages inline the Vega runtime
 * and stay interactive offline (`./html.ts`).
 *
 * @module
 */
import { writeFileAtomic } from "../_util/files.ts";
import { DISPLAY_METADATA } from "./_notebook.ts";
import { type HtmlScripts, pageHtml } from "./html.ts";
import { imagePdf, svgToPdf } from "./pdf.ts";

export type { HtmlScripts } from "./html.ts";

/** A Vega-Lite v5 specification as plain JSON data. */
export interface VegaLiteSpec {
  /** The JSON Schema the spec follows; always Vega-Lite v5 for charts built here. */
  $schema?: string;
  /** Any other Vega-Lite property (`data`, `mark`, `encoding`, `layer`, `concat`, ...). */
  [key: string]: unknown;
}

/** The Jupyter MIME bundle a chart displays as. */
export interface ChartMimeBundle {
  /** The Vega-Lite spec, rendered interactively by JupyterLab and VS Code. */
  "application/vnd.vegalite.v5+json": VegaLiteSpec;
  /**
   * A static PNG rendering (base64), shown where no Vega-Lite renderer exists (GitHub, nbconvert
   * HTML exports: nbconvert before 7.7 prefers SVG to PNG and its sanitizer empties inline SVG,
   * so a bundle with a PNG carries no SVG).
   */
  "image/png"?: string;
  /** A static SVG rendering, in place of the PNG when no font is installed to rasterize text. */
  "image/svg+xml"?: string;
  /** A one-line description. */
  "text/plain": string;
}

/** What rendering a chart to SVG produced. */
export interface RenderResult {
  /** The SVG document. */
  svg: string;
  /** Warnings Vega-Lite or Vega logged while compiling and rendering; empty for a clean chart. */
  warnings: string[];
}

/** Options of {@linkcode Chart}'s constructor. */
export interface ChartOptions {
  /** A file stem for the chart (used by the CLI, and by `save` for directories); default "chart". */
  name?: string;
  /** A one-line description for `text/plain` displays; default derived from the title. */
  description?: string;
  /** Component charts of a composite chart, each of which can be saved on its own. */
  parts?: readonly Chart[];
}

/** Options of {@linkcode Chart.prototype.toPNG}. */
export interface PngOptions {
  /** Pixel density relative to the SVG's CSS pixels; default 2 (crisp on high-DPI screens). */
  scale?: number;
  /** Skip the check that a font is installed (text then renders as empty boxes). */
  allowMissingFonts?: boolean;
}

/** Options of {@linkcode Chart.prototype.toHTML} and {@linkcode chartsPage}. */
export interface HtmlOptions {
  /**
   * Where the page gets the Vega runtime: "inline" (default; the page works offline, about
   * 0.5 MB) or "cdn" (a small page that needs the network to become interactive).
   */
  scripts?: HtmlScripts;
  /** Include each chart's static SVG as the first paint (and the no-script view); default true. */
  staticSvg?: boolean;
}

/** Options of {@linkcode Chart.prototype.toPDF}. */
export interface PdfOptions extends PngOptions {
  /**
   * "vector" (default): paths, text in the standard Helvetica/Times/Courier fonts, selectable and
   * sharp at any zoom. "raster": the chart as an image (`scale` pixels per CSS pixel, default 3),
   * exactly as the PNG looks.
   */
  mode?: "vector" | "raster";
}

/** Options of {@linkcode Chart.prototype.save}. */
export interface SaveOptions extends PdfOptions {
  /** Output format; default chosen from the file extension. */
  format?: ChartFileFormat;
  /** For HTML: where the page gets the Vega runtime (see {@linkcode HtmlOptions}). */
  scripts?: HtmlScripts;
}

/** The file formats {@linkcode Chart.prototype.save} writes. */
export type ChartFileFormat = "svg" | "png" | "pdf" | "html" | "json";

/** The `$schema` every chart spec carries. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Properties allowed only at the top level of a Vega-Lite spec. */
const TOP_LEVEL_ONLY = ["$schema", "config", "autosize", "background", "padding", "usermeta"];

/**
 * The shared look of every chart: a colour-blind-safe categorical scheme (tableau10), readable
 * font sizes, light grids and legends that do not truncate model names.
 */
export const CHART_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  background: "white",
  font: "DejaVu Sans, Helvetica, Arial, sans-serif",
  view: { stroke: "#d9d9d9" },
  range: { category: { scheme: "tableau10" }, ordinal: { scheme: "blues" } },
  title: { fontSize: 15, fontWeight: "bold", anchor: "start", offset: 12, subtitleFontSize: 12 },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    gridColor: "#e6e6e6",
    domainColor: "#888888",
    tickColor: "#888888",
    labelLimit: 240,
  },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 400, symbolStrokeWidth: 2.5 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  concat: { spacing: 28 },
  line: { strokeWidth: 2.5, strokeJoin: "round" },
  point: { size: 40, filled: true },
  bar: { discreteBandSize: { band: 0.85 } },
});

/**
 * A Vega-Lite v5 chart with inlined data: render it to SVG or PNG, save it, or return it from a
 * notebook cell to display it.
 *
 * @example Build, render and save a chart
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { Chart } from "./chart.ts";
 *
 * const chart = new Chart({
 *   title: "Accuracy",
 *   data: { values: [{ model: "a", accuracy: 0.8 }, { model: "b", accuracy: 0.9 }] },
 *   mark: "bar",
 *   encoding: {
 *     x: { field: "model", type: "nominal" },
 *     y: { field: "accuracy", type: "quantitative" },
 *   },
 * });
 * assert(chart.toSpec().$schema?.includes("vega-lite/v5"));
 * assert((await chart.toSVG()).startsWith("<svg"));
 * ```
 */
export class Chart {
  /** A file stem for this chart (Ludwig's file name without extension). */
  readonly name: string;
  /** A one-line description, shown as `text/plain`. */
  readonly description: string;
  /** Component charts when this chart composes several; empty for a single chart. */
  readonly parts: readonly Chart[];
  #spec: VegaLiteSpec;
  #render?: Promise<RenderResult>;
  #compiled?: Promise<{ vega: Record<string, unknown>; warnings: string[] }>;

  /**
   * Wrap a Vega-Lite spec. The spec is deep-copied, `$schema` is set to Vega-Lite v5 and the
   * shared {@linkcode CHART_CONFIG} is merged under the spec's own `config`.
   *
   * @param spec A Vega-Lite v5 spec with its data inlined.
   * @param options Name, description and component parts.
   */
  constructor(spec: VegaLiteSpec, options: ChartOptions = {}) {
    const copy = structuredClone(spec) as VegaLiteSpec;
    const { $schema: _schema, config, ...rest } = copy;
    this.#spec = {
      $schema: VEGA_LITE_SCHEMA,
      ...rest,
      config: mergeConfig(CHART_CONFIG, (config ?? {}) as Record<string, unknown>),
    };
    this.name = options.name ?? "chart";
    this.parts = Object.freeze([...(options.parts ?? [])]);
    this.description = options.description ?? defaultDescription(this.title, this.#spec);
  }

  /**
   * Compose charts into one: a grid of `columns` charts per row (one column by default). The
   * composite keeps the charts as its {@linkcode Chart.parts}.
   *
   * @param charts The charts to place, in reading order.
   * @param options Title, name, description and the number of columns.
   * @returns The composite chart (or the only chart when `charts` has one element).
   *
   * @example Two charts side by side
   * ```ts
   * import { assertEquals } from "../_util/_assert.ts";
   * import { Chart } from "./chart.ts";
   * const bar = (v: number) =>
   *   new Chart({ data: { values: [{ v }] }, mark: "bar", encoding: { x: { field: "v", type: "quantitative" } } });
   * const both = Chart.concat([bar(1), bar(2)], { title: "Two", columns: 2 });
   * assertEquals(both.parts.length, 2);
   * ```
   */
  static concat(
    charts: readonly Chart[],
    options: ChartOptions & { title?: string | VegaLiteSpec; columns?: number } = {},
  ): Chart {
    if (charts.length === 0) throw new RangeError("Cannot compose charts: received no charts");
    if (charts.length === 1) return charts[0];
    const subSpecs = charts.map((chart) => {
      const spec = chart.toSpec();
      for (const key of TOP_LEVEL_ONLY) delete spec[key];
      return spec;
    });
    const spec: VegaLiteSpec = {
      ...(options.title !== undefined ? { title: options.title } : {}),
      concat: subSpecs,
      columns: options.columns ?? 1,
      resolve: {
        scale: {
          color: "independent",
          strokeDash: "independent",
          size: "independent",
          shape: "independent",
          opacity: "independent",
        },
      },
    };
    return new Chart(spec, {
      name: options.name ?? charts[0].name,
      description: options.description,
      parts: charts,
    });
  }

  /** The chart's title text (the first line when it has several), or "" when it has none. */
  get title(): string {
    return titleText(this.#spec.title);
  }

  /** The leaf charts: this chart when it has no parts, else its parts' leaves in order. */
  leaves(): Chart[] {
    return this.parts.length === 0 ? [this] : this.parts.flatMap((part) => part.leaves());
  }

  /**
   * The Vega-Lite v5 spec, as a fresh deep copy.
   *
   * @returns The spec with `$schema`, inlined data and the shared config.
   */
  toSpec(): VegaLiteSpec {
    return structuredClone(this.#spec);
  }

  /** The spec, so that `JSON.stringify(chart)` writes the Vega-Lite JSON. */
  toJSON(): VegaLiteSpec {
    return this.toSpec();
  }

  /**
   * Render the chart to SVG and collect the warnings Vega-Lite and Vega log meanwhile. The
   * result is computed once and cached.
   *
   * @returns The SVG text and the warnings.
   */
  render(): Promise<RenderResult> {
    this.#compiled ??= compileSpec(this.#spec);
    this.#render ??= this.#compiled.then(renderSvg);
    return this.#render;
  }

  /**
   * Render the chart to an SVG document (headless, no browser).
   *
   * @returns The SVG text.
   */
  async toSVG(): Promise<string> {
    return (await this.render()).svg;
  }

  /**
   * Render the chart to PNG through SVG and sharp (librsvg).
   *
   * @param options Pixel scale (default 2) and whether a missing font is tolerated.
   * @returns The PNG bytes.
   * @throws {Error} When no font is installed and `allowMissingFonts` is not set.
   */
  async toPNG(options: PngOptions = {}): Promise<Uint8Array> {
    const scale = options.scale ?? 2;
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new RangeError(`Cannot render PNG: expected a positive scale, received ${scale}`);
    }
    const svg = await this.toSVG();
    if (!options.allowMissingFonts) await assertFontsAvailable();
    return await rasterize(svg, scale);
  }

  /**
   * Render the chart to a one-page PDF the chart's size (CSS pixels as points at 96 dpi). By
   * default the page is vector graphics drawn from the chart's SVG: paths, clipping, opacity,
   * gradients, and text in the PDF standard fonts (Helvetica for sans-serif families), so text is
   * selectable and searchable. `mode: "raster"` embeds the PNG rendering instead (scale 3 by
   * default: about 290 dpi on the page).
   *
   * @param options The mode ("vector" or "raster"); for raster, the pixel scale and whether a
   *   missing font is tolerated.
   * @returns The PDF bytes.
   * @throws {Error} For raster, when no font is installed and `allowMissingFonts` is not set.
   */
  async toPDF(options: PdfOptions = {}): Promise<Uint8Array> {
    const mode = options.mode ?? "vector";
    if (mode !== "vector" && mode !== "raster") {
      throw new TypeError(
        `Cannot render PDF: expected mode "vector" or "raster", received ${JSON.stringify(mode)}`,
      );
    }
    const title = this.title || this.name;
    if (mode === "vector") return await svgToPdf(await this.toSVG(), { title });
    const scale = options.scale ?? 3;
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new RangeError(`Cannot render PDF: expected a positive scale, received ${scale}`);
    }
    const svg = await this.toSVG();
    if (!options.allowMissingFonts) await assertFontsAvailable();
    const sharp = await loadSharp();
    const { data, info } = await sharp(new TextEncoder().encode(svg), { density: 72 * scale })
      .flatten({ background: "#ffffff" })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const size = svgSize(svg);
    const pageWidth = (size?.width ?? info.width / scale) * 0.75;
    return imagePdf(
      {
        width: info.width,
        height: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      },
      { pageWidth, title },
    );
  }

  /**
   * A standalone HTML page that draws the chart interactively (tooltips, selections) with the Vega
   * runtime inlined, so it works offline; the static SVG rendered here is its first paint (and
   * what shows with scripts disabled). Vega-Lite is compiled to Vega here, so the page carries
   * only the Vega runtime (about 0.5 MB). For many charts on one page, use
   * {@linkcode chartsPage}: the runtime is included once.
   *
   * @param options Where the runtime comes from ("inline" by default, or "cdn") and whether the
   *   static SVG is included (default true).
   * @returns The HTML text.
   */
  async toHTML(options: HtmlOptions = {}): Promise<string> {
    return await chartsPage([this], { title: this.title || this.name, ...options });
  }

  /**
   * The chart compiled to a Vega spec (cached), with the warnings Vega-Lite logged.
   *
   * @returns The Vega spec and warnings.
   */
  compile(): Promise<{ vega: Record<string, unknown>; warnings: string[] }> {
    this.#compiled ??= compileSpec(this.#spec);
    return this.#compiled.then(({ vega, warnings }) => ({
      vega: structuredClone(vega),
      warnings: [...warnings],
    }));
  }

  /**
   * Write the chart to a file, choosing the format by extension: `.svg`, `.png`, `.pdf`, `.html` or
   * `.json` (e.g. `.vl.json`). The file is written atomically (temporary file, then rename), and
   * missing parent directories are created.
   *
   * @param path The file to write.
   * @param options The format (overrides the extension) and PNG options.
   * @returns The path written.
   */
  async save(path: string, options: SaveOptions = {}): Promise<string> {
    const format = options.format ?? formatFromPath(path);
    let bytes: Uint8Array;
    switch (format) {
      case "svg":
        bytes = new TextEncoder().encode(await this.toSVG());
        break;
      case "png":
        bytes = await this.toPNG(options);
        break;
      case "pdf":
        bytes = await this.toPDF(options);
        break;
      case "html":
        bytes = new TextEncoder().encode(await this.toHTML({ scripts: options.scripts }));
        break;
      case "json":
        bytes = new TextEncoder().encode(JSON.stringify(this.#spec, null, 2) + "\n");
        break;
    }
    await writeFileAtomic(path, bytes);
    return path;
  }

  /** The one-line description. */
  toString(): string {
    return this.description;
  }

  /**
   * The MIME bundle the Deno Jupyter kernel displays (the kernel awaits this method): the
   * Vega-Lite spec, an SVG fallback and a one-line text.
   *
   * @returns The bundle.
   */
  async [Symbol.for("Jupyter.display")](): Promise<ChartMimeBundle> {
    const svg = await this.toSVG();
    const bundle: ChartMimeBundle = {
      "application/vnd.vegalite.v5+json": this.toSpec(),
      "text/plain": this.description,
    };
    if (await fontsAvailable()) {
      bundle["image/png"] = base64(await rasterize(svg, displayScale(svg), true));
    } else bundle["image/svg+xml"] = svg;
    return bundle;
  }

  /**
   * Display metadata for `display()`: the PNG's size in CSS pixels, so that a scale-2 PNG shows
   * at the chart's size in HTML exports.
   *
   * @returns `{ "image/png": { width, height } }`, or `{}` when the SVG has no size.
   */
  async [DISPLAY_METADATA](): Promise<Record<string, unknown>> {
    const size = svgSize(await this.toSVG());
    return size
      ? { "image/png": { width: Math.round(size.width), height: Math.round(size.height) } }
      : {};
  }
}

/**
 * One standalone HTML page showing several charts, interactive offline, with the Vega runtime
 * included once (a report of many charts stays about 0.5 MB plus the charts' data).
 *
 * @param charts The charts, in page order.
 * @param options The page title (shown as a heading when `heading` is set), where the runtime
 *   comes from, and whether the static SVGs are included.
 * @returns The HTML text.
 *
 * @example Two charts on one page
 * ```ts
 * import { assert } from "../_util/_assert.ts";
 * import { Chart, chartsPage } from "./chart.ts";
 * const bar = (v: number) =>
 *   new Chart({ data: { values: [{ v }] }, mark: "bar", encoding: { x: { field: "v", type: "quantitative" } } });
 * const html = await chartsPage([bar(1), bar(2)], { title: "Two charts", scripts: "cdn" });
 * assert(html.split('class="sonata-chart"').length === 3);
 * ```
 */
export async function chartsPage(
  charts: readonly Chart[],
  options: HtmlOptions & { title: string; heading?: boolean },
): Promise<string> {
  const withSvg = options.staticSvg ?? true;
  const entries = await Promise.all(charts.map(async (chart) => ({
    vega: (await chart.compile()).vega,
    svg: withSvg ? await chart.toSVG() : undefined,
    name: chart.name,
    label: chart.title || undefined,
  })));
  return await pageHtml(entries, {
    title: options.title,
    heading: options.heading,
    scripts: options.scripts,
  });
}

/** Pixel budget of a display PNG: scale 2 (crisp on high-DPI screens) up to 3 megapixels. */
const DISPLAY_MAX_PIXELS = 3_000_000;

/** The scale of a display PNG: 2, or less so that it stays within {@linkcode DISPLAY_MAX_PIXELS}. */
export function displayScale(svg: string): number {
  const size = svgSize(svg);
  if (!size) return 1;
  const pixels = size.width * size.height;
  return Math.max(0.25, Math.min(2, Math.sqrt(DISPLAY_MAX_PIXELS / Math.max(1, pixels))));
}

/** The `width` and `height` of an SVG document's root element, in CSS pixels. */
export function svgSize(svg: string): { width: number; height: number } | undefined {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Pick a file format from a path's extension. */
export function formatFromPath(path: string): ChartFileFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".svg")) return "svg";
  if (lower.endsWith(".png")) return "png";
  if (lower.endsWith(".pdf")) return "pdf";
  if (lower.endsWith(".html") || lower.endsWith(".htm")) return "html";
  if (lower.endsWith(".json")) return "json";
  throw new TypeError(
    `Cannot save chart "${path}": expected an extension .svg, .png, .pdf, .html or .vl.json`,
  );
}

function titleText(title: unknown): string {
  if (typeof title === "string") return title;
  if (Array.isArray(title)) return String(title[0] ?? "");
  if (title && typeof title === "object" && "text" in title) {
    return titleText((title as { text: unknown }).text);
  }
  return "";
}

function defaultDescription(title: string, spec: VegaLiteSpec): string {
  const kind = "concat" in spec
    ? "composite chart"
    : "layer" in spec
    ? "layered chart"
    : "facet" in spec
    ? "faceted chart"
    : `${typeof spec.mark === "string" ? spec.mark : "mark"} chart`;
  return title ? `Vega-Lite ${kind}: ${title}` : `Vega-Lite ${kind}`;
}

function mergeConfig(
  base: Readonly<Record<string, unknown>>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value)
      ? mergeConfig(current, value)
      : structuredClone(value);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Collects log messages with the interface vega-util's loggers have. */
function collectingLogger(warnings: string[]) {
  let level = 2; // vega.Warn
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a)));
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) {
      warnings.push(`error: ${text(args).join(" ")}`);
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= 2) warnings.push(text(args).join(" "));
      return logger;
    },
    info(..._args: unknown[]) {
      return logger;
    },
    debug(..._args: unknown[]) {
      return logger;
    },
  };
  return logger;
}

async function compileSpec(
  spec: VegaLiteSpec,
): Promise<{ vega: Record<string, unknown>; warnings: string[] }> {
  const vl = await import("npm:vega-lite@5.23.0");
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any, { logger: logger as any }).spec;
  return { vega: compiled as unknown as Record<string, unknown>, warnings };
}

async function renderSvg(
  compiled: { vega: Record<string, unknown>; warnings: string[] },
): Promise<RenderResult> {
  const vega = await import("npm:vega@5.33.1");
  const warnings = [...compiled.warnings];
  const logger = collectingLogger(warnings);
  // deno-lint-ignore no-explicit-any
  const view = new vega.View(vega.parse(compiled.vega as any), {
    renderer: "none",
    // deno-lint-ignore no-explicit-any
    logger: logger as any,
    logLevel: vega.Warn,
  });
  try {
    const svg = await view.toSVG();
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

// deno-lint-ignore no-explicit-any
let sharpModule: Promise<any> | undefined;
let fontCheck: Promise<boolean> | undefined;

function loadSharp() {
  sharpModule ??= import("npm:sharp@0.35.5").then((m) => m.default);
  return sharpModule;
}

/** Rasterize SVG; `compact` (displays) quantizes to a 256-colour palette: half the bytes, ~40 ms. */
async function rasterize(svg: string, scale: number, compact = false): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const buffer = await sharp(new TextEncoder().encode(svg), { density: 72 * scale })
    .png(compact ? { palette: true, compressionLevel: 6, effort: 1 } : { compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Whether librsvg finds a font to draw text with. Without fonts every glyph becomes the same
 * empty box, so two different strings of equal length rasterize to identical pixels.
 *
 * @returns `true` when text renders with real glyphs.
 */
export function fontsAvailable(): Promise<boolean> {
  fontCheck ??= (async () => {
    const probe = (text: string) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30">` +
      `<rect width="120" height="30" fill="white"/>` +
      `<text x="4" y="22" font-family="${CHART_CONFIG.font}" font-size="18">${text}</text></svg>`;
    const sharp = await loadSharp();
    const raw = async (text: string) =>
      new Uint8Array(
        await sharp(new TextEncoder().encode(probe(text))).raw().toBuffer(),
      );
    const [a, b] = await Promise.all([raw("iiii"), raw("MWMW")]);
    return a.length !== b.length || a.some((value, i) => value !== b[i]);
  })();
  return fontCheck;
}

async function assertFontsAvailable(): Promise<void> {
  if (!(await fontsAvailable())) {
    throw new Error(
      "Cannot render chart text to PNG: no font found by fontconfig: install one " +
        "(Debian/Ubuntu: apt-get install fonts-dejavu-core) or save as .svg or .html",
    );
  }
}
