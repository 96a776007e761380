/**
 * Standalone HTML pages for charts that stay interactive offline: the Vega runtime is inlined
 * (read from the pinned `npm:vega` package's browser bundle), each chart's compiled Vega spec sits
 * in a JSON script element, and a small embed script of Sonata's own (no vega-embed) draws it
 * with `vega.View`, with tooltips and "save as SVG/PNG" links. The static SVG rendered in Deno is
 * the first paint and stays when scripts are disabled.
 *
 * Vega-Lite is compiled to Vega in Deno before the page is written, so the page needs only the
 * Vega bundle (about 0.5 MB), not Vega-Lite's (another 0.25 MB).
 *
 * @module
 */

/** Where a page gets the Vega runtime from. */
export type HtmlScripts = "inline" | "cdn";

/** The pinned Vega version (matches the `npm:vega@…` import). */
export const VEGA_VERSION = "5.33.1";

/** One chart placed on a page. */
export interface PageChart {
  /** The compiled Vega spec (data inlined). */
  vega: Record<string, unknown>;
  /** The static SVG shown first (and without scripts). */
  svg?: string;
  /** A file stem for the "save as" links. */
  name: string;
  /** A caption read by screen readers (the chart's title). */
  label?: string;
}

/** Options of {@linkcode pageHtml}. */
export interface PageOptions {
  /** The page's `<title>` (and heading, when `heading` is set). */
  title: string;
  /** Show the title as an `<h1>` above the charts; default false. */
  heading?: boolean;
  /** Inline the Vega runtime (default, works offline) or load it from a CDN (small files). */
  scripts?: HtmlScripts;
}

const CDN = `https://cdn.jsdelivr.net/npm/vega@${VEGA_VERSION}/build/vega.min.js`;

/** Vega's license notice, carried with the inlined runtime (BSD-3-Clause asks for it). */
const VEGA_NOTICE = `Vega ${VEGA_VERSION} (https://vega.github.io/vega/), inlined by Sonata.
Copyright (c) 2015-2023, University of Washington Interactive Data Lab. All rights reserved.
Redistribution and use in source and binary forms, with or without modification, are permitted
provided that the following conditions are met: 1. Redistributions of source code must retain the
above copyright notice, this list of conditions and the following disclaimer. 2. Redistributions in
binary form must reproduce the above copyright notice, this list of conditions and the following
disclaimer in the documentation and/or other materials provided with the distribution. 3. Neither
the name of the copyright holder nor the names of its contributors may be used to endorse or
promote products derived from this software without specific prior written permission.
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR
IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND
FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR
CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER
IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF
THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
Vega bundles d3 modules: Copyright 2010-2023 Mike Bostock, ISC license.`;

let vegaBundle: Promise<string> | undefined;

/**
 * The browser bundle of the pinned Vega package (`build/vega.min.js`), read from wherever Deno
 * keeps npm packages (the global cache or a `node_modules` folder): the package is loaded first,
 * which makes `import.meta.resolve` map the specifier to its file. Works whether Sonata is
 * imported by path, by URL or from JSR, as long as Deno may read its npm cache.
 *
 * @returns The script text, without its source-map comment.
 * @throws {Error} When the file cannot be located or read.
 */
export function vegaBrowserBundle(): Promise<string> {
  vegaBundle ??= (async () => {
    await import("npm:vega@5.33.1");
    const url = import.meta.resolve("npm:vega@5.33.1/build/vega.min.js");
    if (!url.startsWith("file:")) {
      throw new Error(
        `Cannot inline Vega into the HTML page: npm:vega@${VEGA_VERSION}/build/vega.min.js ` +
          `resolved to "${url}", expected a file: URL (save as .svg, or pass scripts: "cdn")`,
      );
    }
    let text: string;
    try {
      text = await Deno.readTextFile(new URL(url));
    } catch (error) {
      throw new Error(
        `Cannot inline Vega into the HTML page: reading ${url} failed: ${(error as Error).message}`,
      );
    }
    if (!text.includes(`version="${VEGA_VERSION}"`)) {
      throw new Error(`Cannot inline Vega: ${url} is not Vega ${VEGA_VERSION}`);
    }
    return text.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n");
  })();
  vegaBundle.catch(() => (vegaBundle = undefined));
  return vegaBundle;
}

/** Make text safe inside a `<script>` element (no `</script`, no `<!--`). */
export function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1").replaceAll("<!--", "<\\!--");
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/**
 * The embed script: draws every `.sonata-chart` of the page with `vega.View` (SVG renderer),
 * replacing its static SVG once the live view has rendered; tooltips show the datum's fields.
 */
export const EMBED_SCRIPT = `(() => {
  "use strict";
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const tip = document.createElement("div");
  tip.className = "sonata-tooltip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.appendChild(tip);
  const content = (value) => {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value !== "object") return esc(value);
    if (Array.isArray(value)) return esc(value.join(", "));
    const rows = Object.entries(value).map(([key, v]) =>
      "<tr><th>" + esc(key) + "</th><td>" + esc(typeof v === "object" && v !== null ? JSON.stringify(v) : v) + "</td></tr>");
    return rows.length ? "<table>" + rows.join("") + "</table>" : null;
  };
  const tooltip = (handler, event, item, value) => {
    const html = content(value);
    if (html === null) { tip.hidden = true; return; }
    tip.innerHTML = html;
    tip.hidden = false;
    const x = event && event.clientX !== undefined ? event.clientX : 0;
    const y = event && event.clientY !== undefined ? event.clientY : 0;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(0, Math.min(x + 12, window.innerWidth - w - 4)) + "px";
    tip.style.top = Math.max(0, y + 12 + h > window.innerHeight ? y - h - 12 : y + 12) + "px";
  };
  const fail = (host, message) => {
    const note = document.createElement("div");
    note.className = "sonata-note";
    note.textContent = message;
    host.appendChild(note);
  };
  const save = (view, name, type) => {
    const link = document.createElement("a");
    link.href = "#";
    link.textContent = "Save as " + type.toUpperCase();
    link.addEventListener("click", (event) => {
      event.preventDefault();
      view.toImageURL(type, type === "png" ? 2 : 1).then((url) => {
        const a = document.createElement("a");
        a.href = url;
        a.download = name + "." + type;
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
    });
    return link;
  };
  for (const host of document.querySelectorAll(".sonata-chart")) {
    const source = host.querySelector("script.sonata-spec");
    const live = host.querySelector(".sonata-live");
    if (!source || !live) continue;
    if (typeof vega === "undefined") {
      fail(host, "Static chart: the Vega runtime did not load, so the chart is not interactive.");
      continue;
    }
    let view;
    try {
      view = new vega.View(vega.parse(JSON.parse(source.textContent)), {
        renderer: "svg", container: live, hover: true, tooltip,
      });
    } catch (error) {
      fail(host, "Static chart: " + error.message);
      continue;
    }
    view.runAsync().then(() => {
      const still = host.querySelector(".sonata-static");
      if (still) still.remove();
      live.hidden = false;
      const actions = document.createElement("div");
      actions.className = "sonata-actions";
      actions.append(save(view, host.dataset.name || "chart", "svg"), " ", save(view, host.dataset.name || "chart", "png"));
      host.appendChild(actions);
      host.classList.add("sonata-ready");
      host.sonataView = view;
    }, (error) => fail(host, "Static chart: " + error.message));
  }
})();
`;

const STYLE = `body { font-family: sans-serif; margin: 24px; }
.sonata-chart { position: relative; display: inline-block; margin: 8px 0; }
.sonata-actions { font-size: 12px; text-align: right; }
.sonata-actions a { color: #555; margin-left: 8px; }
.sonata-note { font-size: 12px; color: #777; }
.sonata-tooltip { position: fixed; z-index: 1000; pointer-events: none; background: #fff;
  border: 1px solid #bbb; border-radius: 3px; padding: 4px 6px; font: 12px sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.2); max-width: 400px; }
.sonata-tooltip th { text-align: right; padding-right: 6px; color: #555; font-weight: normal; }
.sonata-tooltip td { font-weight: bold; }`;

/** The markup of one chart: static SVG, the live container and its Vega spec. */
function chartBlock(chart: PageChart, index: number): string {
  const json = scriptSafe(JSON.stringify(chart.vega));
  const label = chart.label ? ` aria-label="${escapeHtml(chart.label)}"` : "";
  return `<div class="sonata-chart" id="chart${index === 0 ? "" : index + 1}" data-name="${
    escapeHtml(chart.name)
  }"${label}>
<div class="sonata-static">${chart.svg ?? ""}</div>
<div class="sonata-live" hidden></div>
<script type="application/json" class="sonata-spec">${json}</script>
</div>`;
}

/**
 * A standalone HTML page showing charts, with the Vega runtime included once however many charts
 * the page has.
 *
 * @param charts The charts in order.
 * @param options Title, heading and where the runtime comes from.
 * @returns The HTML text.
 * @throws {Error} When `scripts` is "inline" and the Vega bundle cannot be read.
 */
export async function pageHtml(
  charts: readonly PageChart[],
  options: PageOptions,
): Promise<string> {
  const scripts = options.scripts ?? "inline";
  if (scripts !== "inline" && scripts !== "cdn") {
    throw new TypeError(
      `Cannot write HTML: expected scripts "inline" or "cdn", received ${JSON.stringify(scripts)}`,
    );
  }
  const runtime = scripts === "inline"
    ? `<script>/*! ${scriptSafe(VEGA_NOTICE)} */\n${scriptSafe(await vegaBrowserBundle())}</script>`
    : `<script src="${CDN}"></script>`;
  const title = escapeHtml(options.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Sonata (Vega ${VEGA_VERSION})">
<title>${title}</title>
<style>
${STYLE}
</style>
</head>
<body>
${options.heading ? `<h1>${title}</h1>\n` : ""}${charts.map(chartBlock).join("\n")}
${runtime}
<script>
${EMBED_SCRIPT}</script>
</body>
</html>
`;
}
