/**
 * The small part of SVG that the vector PDF writer reads: an XML tree parser for the SVG documents
 * Vega writes (elements, attributes, text, entities, comments), SVG path data (every command,
 * relative and absolute, arcs converted to cubic Béziers) and `transform` lists.
 *
 * @module
 */

/** An element of a parsed SVG document. */
export interface SvgElement {
  /** The tag name, e.g. "g" or "path" (namespace prefix kept). */
  tag: string;
  /** The attributes, entities decoded. */
  attrs: Record<string, string>;
  /** Child elements and text runs in document order. */
  children: (SvgElement | string)[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decode XML character and entity references. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

/**
 * Parse an SVG (XML) document into its root element.
 *
 * @param text The document.
 * @returns The root element.
 * @throws {SyntaxError} When tags are malformed or unbalanced.
 */
export function parseSvg(text: string): SvgElement {
  const root: SvgElement = { tag: "#document", attrs: {}, children: [] };
  const stack: SvgElement[] = [root];
  let at = 0;
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse SVG at offset ${at}: ${why}`);
  };
  while (at < text.length) {
    const lt = text.indexOf("<", at);
    const end = lt < 0 ? text.length : lt;
    if (end > at) {
      const run = decodeEntities(text.slice(at, end));
      if (run.trim() !== "" || stack.length > 1) stack[stack.length - 1].children.push(run);
    }
    if (lt < 0) break;
    at = lt;
    if (text.startsWith("<!--", at)) {
      const close = text.indexOf("-->", at + 4);
      if (close < 0) fail("unterminated comment");
      at = close + 3;
    } else if (text.startsWith("<![CDATA[", at)) {
      const close = text.indexOf("]]>", at + 9);
      if (close < 0) fail("unterminated CDATA section");
      stack[stack.length - 1].children.push(text.slice(at + 9, close));
      at = close + 3;
    } else if (text.startsWith("<?", at) || text.startsWith("<!", at)) {
      const close = text.indexOf(">", at);
      if (close < 0) fail("unterminated declaration");
      at = close + 1;
    } else if (text.startsWith("</", at)) {
      const close = text.indexOf(">", at);
      if (close < 0) fail("unterminated closing tag");
      const tag = text.slice(at + 2, close).trim();
      const open = stack.pop();
      if (!open || open.tag !== tag || stack.length === 0) fail(`unexpected </${tag}>`);
      at = close + 1;
    } else {
      const tagMatch = /^<([A-Za-z_][\w:.-]*)/.exec(text.slice(at, at + 200));
      if (!tagMatch) fail("expected a tag name");
      const element: SvgElement = { tag: tagMatch![1], attrs: {}, children: [] };
      at += tagMatch![0].length;
      const attr = /\s*([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')|\s*(\/?>)/y;
      for (;;) {
        attr.lastIndex = at;
        const m = attr.exec(text);
        if (!m) fail(`malformed attributes in <${element.tag}>`);
        at = attr.lastIndex;
        if (m![5]) {
          stack[stack.length - 1].children.push(element);
          if (m![5] === ">") stack.push(element);
          break;
        }
        element.attrs[m![1]] = decodeEntities(m![3] ?? m![4] ?? "");
      }
    }
  }
  if (stack.length !== 1) fail(`unclosed <${stack[stack.length - 1].tag}>`);
  const first = root.children.find((c): c is SvgElement => typeof c !== "string");
  if (!first) fail("no root element");
  return first!;
}

/** An affine transform [a b c d e f]: (x, y) ↦ (a x + c y + e, b x + d y + f). */
export type Matrix = [number, number, number, number, number, number];

/** The identity transform. */
export const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** `m` applied after `first`: the matrix of "first, then m". */
export function multiply(first: Matrix, m: Matrix): Matrix {
  const [a, b, c, d, e, f] = first;
  const [A, B, C, D, E, F] = m;
  return [
    a * A + b * C,
    a * B + b * D,
    c * A + d * C,
    c * B + d * D,
    e * A + f * C + E,
    e * B + f * D + F,
  ];
}

/** Apply a transform to a point. */
export function apply(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g;

function numbers(text: string): number[] {
  return (text.match(NUMBER) ?? []).map(Number);
}

/**
 * Parse an SVG `transform` attribute (matrix, translate, scale, rotate, skewX, skewY).
 *
 * @param text The attribute value.
 * @returns The combined matrix, mapping the element's coordinates to its parent's.
 * @throws {SyntaxError} For an unknown function or wrong argument count.
 */
export function parseTransform(text: string | undefined): Matrix {
  let out: Matrix = [...IDENTITY];
  if (!text) return out;
  const call = /\s*,?\s*([a-zA-Z]+)\s*\(([^)]*)\)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = call.exec(text)) !== null) {
    last = call.lastIndex;
    const args = numbers(m[2]);
    const name = m[1];
    let t: Matrix;
    const bad = () => {
      throw new SyntaxError(`Cannot parse SVG transform "${text}": bad arguments to ${name}`);
    };
    switch (name) {
      case "matrix":
        if (args.length !== 6) bad();
        t = args as Matrix;
        break;
      case "translate":
        if (args.length < 1 || args.length > 2) bad();
        t = [1, 0, 0, 1, args[0], args[1] ?? 0];
        break;
      case "scale":
        if (args.length < 1 || args.length > 2) bad();
        t = [args[0], 0, 0, args[1] ?? args[0], 0, 0];
        break;
      case "rotate": {
        if (args.length !== 1 && args.length !== 3) bad();
        const r = args[0] * Math.PI / 180;
        const cos = Math.cos(r), sin = Math.sin(r);
        t = [cos, sin, -sin, cos, 0, 0];
        if (args.length === 3) {
          const [, cx, cy] = args;
          t = multiply(multiply([1, 0, 0, 1, -cx, -cy], t), [1, 0, 0, 1, cx, cy]);
        }
        break;
      }
      case "skewX":
        if (args.length !== 1) bad();
        t = [1, 0, Math.tan(args[0] * Math.PI / 180), 1, 0, 0];
        break;
      case "skewY":
        if (args.length !== 1) bad();
        t = [1, Math.tan(args[0] * Math.PI / 180), 0, 1, 0, 0];
        break;
      default:
        throw new SyntaxError(`Cannot parse SVG transform "${text}": unknown function ${name}`);
    }
    // The list reads left to right as nested coordinate systems: the rightmost applies first.
    out = multiply(t, out);
  }
  if (text.slice(last).trim() !== "") {
    throw new SyntaxError(`Cannot parse SVG transform "${text}"`);
  }
  return out;
}

/** A path segment in absolute coordinates: move, line, cubic Bézier or close. */
export type Segment =
  | { op: "M"; x: number; y: number }
  | { op: "L"; x: number; y: number }
  | { op: "C"; x1: number; y1: number; x2: number; y2: number; x: number; y: number }
  | { op: "Z" };

const ARG_COUNTS: Record<string, number> = {
  m: 2,
  l: 2,
  h: 1,
  v: 1,
  c: 6,
  s: 4,
  q: 4,
  t: 2,
  a: 7,
  z: 0,
};

/**
 * Parse SVG path data into absolute move/line/cubic/close segments: quadratic curves are raised
 * to cubics and elliptical arcs split into cubic Béziers of at most 90° each.
 *
 * @param d The path data.
 * @returns The segments.
 * @throws {SyntaxError} For malformed data.
 */
export function parsePath(d: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const n = d.length;
  const skip = () => {
    while (i < n && /[\s,]/.test(d[i])) i++;
  };
  const number = (): number => {
    skip();
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(d);
    if (!m || m.index !== i) throw new SyntaxError(`Cannot parse SVG path at ${i}: "${d}"`);
    i = NUMBER.lastIndex;
    return Number(m[0]);
  };
  const flag = (): number => {
    skip();
    const c = d[i];
    if (c !== "0" && c !== "1") throw new SyntaxError(`Cannot parse SVG path arc flag at ${i}`);
    i++;
    return Number(c);
  };
  let x = 0, y = 0, startX = 0, startY = 0;
  let lastCubic: [number, number] | undefined; // the second control point of the last C/S
  let lastQuad: [number, number] | undefined; // the control point of the last Q/T
  let command = "";
  for (;;) {
    skip();
    if (i >= n) break;
    if (/[a-zA-Z]/.test(d[i])) {
      command = d[i++];
      if (!(command.toLowerCase() in ARG_COUNTS)) {
        throw new SyntaxError(`Cannot parse SVG path: unknown command "${command}"`);
      }
    } else if (!command || command === "z" || command === "Z") {
      throw new SyntaxError(`Cannot parse SVG path at ${i}: expected a command in "${d}"`);
    }
    const rel = command === command.toLowerCase();
    const ox = rel ? x : 0, oy = rel ? y : 0;
    let cubic: [number, number] | undefined;
    let quad: [number, number] | undefined;
    switch (command.toLowerCase()) {
      case "m": {
        x = ox + number();
        y = oy + number();
        startX = x;
        startY = y;
        out.push({ op: "M", x, y });
        command = rel ? "l" : "L"; // further pairs are lines
        break;
      }
      case "l":
        x = ox + number();
        y = oy + number();
        out.push({ op: "L", x, y });
        break;
      case "h":
        x = ox + number();
        out.push({ op: "L", x, y });
        break;
      case "v":
        y = oy + number();
        out.push({ op: "L", x, y });
        break;
      case "c": {
        const x1 = ox + number(), y1 = oy + number();
        const x2 = ox + number(), y2 = oy + number();
        x = ox + number();
        y = oy + number();
        out.push({ op: "C", x1, y1, x2, y2, x, y });
        cubic = [x2, y2];
        break;
      }
      case "s": {
        const [x1, y1] = lastCubic ? [2 * x - lastCubic[0], 2 * y - lastCubic[1]] : [x, y];
        const x2 = ox + number(), y2 = oy + number();
        x = ox + number();
        y = oy + number();
        out.push({ op: "C", x1, y1, x2, y2, x, y });
        cubic = [x2, y2];
        break;
      }
      case "q": {
        const qx = ox + number(), qy = oy + number();
        const ex = ox + number(), ey = oy + number();
        out.push(quadratic(x, y, qx, qy, ex, ey));
        x = ex;
        y = ey;
        quad = [qx, qy];
        break;
      }
      case "t": {
        const [qx, qy] = lastQuad ? [2 * x - lastQuad[0], 2 * y - lastQuad[1]] : [x, y];
        const ex = ox + number(), ey = oy + number();
        out.push(quadratic(x, y, qx, qy, ex, ey));
        x = ex;
        y = ey;
        quad = [qx, qy];
        break;
      }
      case "a": {
        const rx = number(), ry = number(), angle = number();
        const large = flag(), sweep = flag();
        const ex = ox + number(), ey = oy + number();
        out.push(...arcToCubics(x, y, rx, ry, angle, large === 1, sweep === 1, ex, ey));
        x = ex;
        y = ey;
        break;
      }
      case "z":
        out.push({ op: "Z" });
        x = startX;
        y = startY;
        break;
    }
    lastCubic = cubic;
    lastQuad = quad;
  }
  return out;
}

function quadratic(x0: number, y0: number, qx: number, qy: number, x: number, y: number): Segment {
  return {
    op: "C",
    x1: x0 + 2 / 3 * (qx - x0),
    y1: y0 + 2 / 3 * (qy - y0),
    x2: x + 2 / 3 * (qx - x),
    y2: y + 2 / 3 * (qy - y),
    x,
    y,
  };
}

/** An SVG elliptical arc (endpoint form) as cubic Béziers (SVG 1.1 appendix F.6). */
export function arcToCubics(
  x1: number,
  y1: number,
  rxIn: number,
  ryIn: number,
  angle: number,
  large: boolean,
  sweep: boolean,
  x2: number,
  y2: number,
): Segment[] {
  if (x1 === x2 && y1 === y2) return [];
  let rx = Math.abs(rxIn), ry = Math.abs(ryIn);
  if (rx === 0 || ry === 0) return [{ op: "L", x: x2, y: y2 }];
  const phi = angle * Math.PI / 180;
  const cos = Math.cos(phi), sin = Math.sin(phi);
  const dx = (x1 - x2) / 2, dy = (y1 - y2) / 2;
  const xp = cos * dx + sin * dy, yp = -sin * dx + cos * dy;
  const lambda = (xp * xp) / (rx * rx) + (yp * yp) / (ry * ry);
  if (lambda > 1) {
    rx *= Math.sqrt(lambda);
    ry *= Math.sqrt(lambda);
  }
  const num = rx * rx * ry * ry - rx * rx * yp * yp - ry * ry * xp * xp;
  const den = rx * rx * yp * yp + ry * ry * xp * xp;
  let k = Math.sqrt(Math.max(0, num / den));
  if (large === sweep) k = -k;
  const cxp = k * rx * yp / ry, cyp = -k * ry * xp / rx;
  const cx = cos * cxp - sin * cyp + (x1 + x2) / 2;
  const cy = sin * cxp + cos * cyp + (y1 + y2) / 2;
  const vAngle = (ux: number, uy: number, vx: number, vy: number) => {
    const a = Math.atan2(ux * vy - uy * vx, ux * vx + uy * vy);
    return a;
  };
  const theta1 = vAngle(1, 0, (xp - cxp) / rx, (yp - cyp) / ry);
  let delta = vAngle((xp - cxp) / rx, (yp - cyp) / ry, (-xp - cxp) / rx, (-yp - cyp) / ry);
  if (!sweep && delta > 0) delta -= 2 * Math.PI;
  if (sweep && delta < 0) delta += 2 * Math.PI;
  const pieces = Math.max(1, Math.ceil(Math.abs(delta) / (Math.PI / 2) - 1e-9));
  const step = delta / pieces;
  const t = 4 / 3 * Math.tan(step / 4);
  const point = (a: number): [number, number] => {
    const ex = rx * Math.cos(a), ey = ry * Math.sin(a);
    return [cx + cos * ex - sin * ey, cy + sin * ex + cos * ey];
  };
  const derivative = (a: number): [number, number] => {
    const ex = -rx * Math.sin(a), ey = ry * Math.cos(a);
    return [cos * ex - sin * ey, sin * ex + cos * ey];
  };
  const out: Segment[] = [];
  for (let p = 0; p < pieces; p++) {
    const a0 = theta1 + p * step, a1 = a0 + step;
    const [px0, py0] = point(a0);
    const [px1, py1] = p === pieces - 1 ? [x2, y2] : point(a1);
    const [dx0, dy0] = derivative(a0), [dx1, dy1] = derivative(a1);
    out.push({
      op: "C",
      x1: px0 + t * dx0,
      y1: py0 + t * dy0,
      x2: px1 - t * dx1,
      y2: py1 - t * dy1,
      x: px1,
      y: py1,
    });
  }
  return out;
}

/** The bounding box of segments (control points included), or undefined when empty. */
export function segmentBounds(
  segments: readonly Segment[],
): { x: number; y: number; width: number; height: number } | undefined {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (x: number, y: number) => {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  };
  for (const s of segments) {
    if (s.op === "Z") continue;
    if (s.op === "C") {
      add(s.x1, s.y1);
      add(s.x2, s.y2);
    }
    add(s.x, s.y);
  }
  return x0 <= x1 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}
