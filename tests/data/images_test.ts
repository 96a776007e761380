import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import {
  convertChannels,
  cropOrPad,
  decodeImage,
  decodeImageColumn,
  encodeBmp,
  type ImageShape,
  type ImageShapeSettings,
  inferImageShape,
  inferNumChannels,
  type RawImage,
} from "../../lib/data/images/mod.ts";
import { ImagePreprocessingSchema } from "../../lib/features/image_schema.ts";
import { assertDataError, withTempDir } from "./_helpers.ts";

/** A deterministic test pattern. */
function pattern(height: number, width: number, channels: number, salt = 0): RawImage {
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + salt * 11) % 256;
  return { data, height, width, channels };
}

async function encode(image: RawImage, format: "png" | "jpeg" | "webp" | "gif" | "tiff") {
  const raw = {
    width: image.width,
    height: image.height,
    channels: image.channels as 1 | 2 | 3 | 4,
  };
  let pipeline = sharp(image.data, { raw });
  if (image.channels <= 2) pipeline = pipeline.toColourspace("b-w");
  if (format === "png") pipeline = pipeline.png();
  if (format === "jpeg") pipeline = pipeline.jpeg({ quality: 95 });
  if (format === "webp") pipeline = pipeline.webp({ lossless: true });
  if (format === "gif") pipeline = pipeline.gif();
  if (format === "tiff") pipeline = pipeline.tiff({ compression: "lzw" });
  return new Uint8Array(await pipeline.toBuffer());
}

const SETTINGS: ImageShapeSettings = (() => {
  const p = ImagePreprocessingSchema.parse({});
  return {
    height: p.height,
    width: p.width,
    num_channels: p.num_channels,
    resize_method: p.resize_method,
    infer_image_dimensions: p.infer_image_dimensions,
    infer_image_num_channels: p.infer_image_num_channels,
    infer_image_max_height: p.infer_image_max_height,
    infer_image_max_width: p.infer_image_max_width,
    infer_image_sample_size: p.infer_image_sample_size,
    requires_equal_dimensions: p.requires_equal_dimensions,
  };
})();

const fixedShape = (
  h: number,
  w: number,
  c: number,
  more: Partial<ImageShape> = {},
): ImageShape => ({
  height: h,
  width: w,
  num_channels: c,
  should_resize: true,
  convert_channels: true,
  resize_method: "interpolate",
  ...more,
});

Deno.test("ImagePreprocessingSchema has Ludwig 0.7's image preprocessing defaults (+ Sonata's image embedding cache)", () => {
  const p = ImagePreprocessingSchema.parse({});
  assert.deepEqual(p, {
    missing_value_strategy: "bfill",
    fill_value: null,
    height: null,
    width: null,
    num_channels: null,
    resize_method: "interpolate",
    infer_image_num_channels: true,
    infer_image_dimensions: true,
    infer_image_max_height: 256,
    infer_image_max_width: 256,
    infer_image_sample_size: 100,
    standardize_image: null,
    in_memory: true,
    num_processes: 1,
    requires_equal_dimensions: false,
    // A Sonata extension (Ludwig caches text encoders only): off by default.
    cache_encoder_embeddings: false,
  });
  for (const s of ["bfill", "ffill", "drop_row", "fill_with_const"]) {
    assert.equal(
      ImagePreprocessingSchema.parse({ missing_value_strategy: s }).missing_value_strategy,
      s,
    );
  }
  assert.equal(
    ImagePreprocessingSchema.safeParse({ missing_value_strategy: "fill_with_mean" }).success,
    false,
  );
  assert.equal(ImagePreprocessingSchema.safeParse({ resize_method: "stretch" }).success, false);
  assert.equal(ImagePreprocessingSchema.safeParse({ num_channels: 5 }).success, false);
  assert.equal(ImagePreprocessingSchema.safeParse({ hieght: 3 }).success, false);
  assert.equal(
    ImagePreprocessingSchema.parse({ standardize_image: "imagenet1k" }).standardize_image,
    "imagenet1k",
  );
});

Deno.test("decodeImage() reads PNG, WebP, TIFF and BMP exactly and JPEG closely", async () => {
  const rgb = pattern(5, 7, 3);
  for (const format of ["png", "webp", "tiff"] as const) {
    const image = await decodeImage(await encode(rgb, format));
    assert.deepEqual([image.height, image.width, image.channels], [5, 7, 3], format);
    assert.deepEqual(image.data, rgb.data, format);
  }
  const bmp = await decodeImage(encodeBmp(rgb));
  assert.deepEqual(bmp, rgb);
  const smooth: RawImage = {
    data: new Uint8Array(8 * 8 * 3).fill(120),
    height: 8,
    width: 8,
    channels: 3,
  };
  const jpeg = await decodeImage(await encode(smooth, "jpeg"));
  assert.deepEqual([jpeg.height, jpeg.width, jpeg.channels], [8, 8, 3]);
  assert.ok(jpeg.data.every((v) => Math.abs(v - 120) <= 2));
  const gray = await decodeImage(await encode(pattern(3, 4, 1), "png"));
  assert.equal(gray.channels, 1);
  assert.deepEqual(gray.data, pattern(3, 4, 1).data);
  const rgba = await decodeImage(await encode(pattern(3, 4, 4), "png"));
  assert.equal(rgba.channels, 4);
});

Deno.test("decodeImage() takes a GIF's first frame, as RGB when it is opaque", async () => {
  const flat: RawImage = { data: new Uint8Array(4 * 4 * 3), height: 4, width: 4, channels: 3 };
  for (let p = 0; p < 16; p++) flat.data.set(p < 8 ? [255, 0, 0] : [0, 0, 255], p * 3);
  const image = await decodeImage(await encode(flat, "gif"));
  assert.deepEqual([image.height, image.width, image.channels], [4, 4, 3]);
  assert.deepEqual(Array.from(image.data.subarray(0, 3)), [255, 0, 0]);
  assert.deepEqual(Array.from(image.data.subarray(45, 48)), [0, 0, 255]);
  // An animated GIF of two 4x4 frames (red, then green): only the first frame comes back.
  const frames = new Uint8Array(2 * 16 * 3);
  for (let p = 0; p < 32; p++) frames.set(p < 16 ? [255, 0, 0] : [0, 255, 0], p * 3);
  const animated = await sharp(frames, { raw: { width: 4, height: 8, channels: 3, pageHeight: 4 } })
    .gif({ loop: 0 })
    .toBuffer();
  assert.equal((await sharp(animated).metadata()).pages, 2);
  const first = await decodeImage(new Uint8Array(animated));
  assert.deepEqual([first.height, first.width, first.channels], [4, 4, 3]);
  for (let p = 0; p < 16; p++) {
    assert.deepEqual(Array.from(first.data.subarray(p * 3, p * 3 + 3)), [255, 0, 0]);
  }
});

Deno.test("decodeImage() rejects corrupt bytes with a reason", async () => {
  const png = await encode(pattern(4, 4, 3), "png");
  await assert.rejects(() => decodeImage(png.subarray(0, 30)), /cannot decode the image/);
  await assert.rejects(
    () => decodeImage(new TextEncoder().encode("not an image")),
    /cannot decode/,
  );
  await assert.rejects(() => decodeImage(new Uint8Array()), /empty/);
  await assert.rejects(
    async () => {
      const bmp = encodeBmp(pattern(4, 4, 3));
      return await decodeImage(bmp.subarray(0, 60));
    },
    /truncated BMP/,
  );
});

Deno.test("convertChannels() follows torchvision's read modes", () => {
  const rgb: RawImage = {
    data: new Uint8Array([255, 0, 0, 0, 255, 0]),
    height: 1,
    width: 2,
    channels: 3,
  };
  assert.deepEqual(Array.from(convertChannels(rgb, 1).data), [76, 150]);
  assert.deepEqual(Array.from(convertChannels(rgb, 4).data), [255, 0, 0, 255, 0, 255, 0, 255]);
  assert.deepEqual(Array.from(convertChannels(rgb, 2).data), [76, 255, 150, 255]);
  const ga: RawImage = { data: new Uint8Array([10, 100]), height: 1, width: 1, channels: 2 };
  assert.deepEqual(Array.from(convertChannels(ga, 3).data), [10, 10, 10]);
  assert.deepEqual(Array.from(convertChannels(ga, 4).data), [10, 10, 10, 100]);
  assert.deepEqual(Array.from(convertChannels(ga, 1).data), [10]);
  const rgba: RawImage = { data: new Uint8Array([1, 2, 3, 4]), height: 1, width: 1, channels: 4 };
  assert.deepEqual(Array.from(convertChannels(rgba, 3).data), [1, 2, 3]);
});

Deno.test("cropOrPad() pads with edge pixels and crops centered", () => {
  const img: RawImage = { data: new Uint8Array([1, 2, 3, 4]), height: 2, width: 2, channels: 1 };
  // 2x2 -> 3x4: one row below (floor 0 above, ceil 1 below), one column each side
  assert.deepEqual(Array.from(cropOrPad(img, 3, 4).data), [1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  const wide: RawImage = {
    data: Uint8Array.from({ length: 5 }, (_, i) => i),
    height: 1,
    width: 5,
    channels: 1,
  };
  assert.deepEqual(Array.from(cropOrPad(wide, 1, 3).data), [1, 2, 3]);
  assert.deepEqual(Array.from(cropOrPad(wide, 1, 4).data), [0, 1, 2, 3]); // round(0.5) = 0
});

Deno.test("inferImageShape() follows Ludwig's inference rules", async () => {
  const cells = [
    await encode(pattern(10, 20, 1), "png"),
    await encode(pattern(20, 40, 1), "png"),
    await encode(pattern(16, 16, 3), "png"),
    null,
  ];
  const ctx = { column: "img" };
  const inferred = await inferImageShape(cells, SETTINGS, ctx);
  assert.deepEqual(inferred, {
    height: 15, // round(mean(10, 20, 16) = 15.33)
    width: 25, // round(25.33)
    num_channels: 1, // 2 of 3 are gray
    should_resize: true,
    convert_channels: true,
    resize_method: "interpolate",
  });
  const capped = await inferImageShape(cells, { ...SETTINGS, infer_image_max_height: 12 }, ctx);
  assert.equal(capped.height, 12);
  const sampled = await inferImageShape(cells, { ...SETTINGS, infer_image_sample_size: 1 }, ctx);
  assert.deepEqual([sampled.height, sampled.width], [10, 20]);
  const noInference = await inferImageShape(cells, {
    ...SETTINGS,
    infer_image_dimensions: false,
    infer_image_num_channels: false,
  }, ctx);
  assert.deepEqual(noInference, {
    height: 10,
    width: 20,
    num_channels: 1,
    should_resize: false,
    convert_channels: false,
    resize_method: "interpolate",
  });
  const square = await inferImageShape(
    cells,
    { ...SETTINGS, requires_equal_dimensions: true },
    ctx,
  );
  assert.deepEqual([square.height, square.width], [15, 15]);
  assert.equal(inferNumChannels([3, 4, 4]), 4);
  assert.equal(inferNumChannels([1, 2, 4]), 3);
  const explicit = await inferImageShape(["not read"], {
    ...SETTINGS,
    height: 4,
    width: 6,
    num_channels: 3,
  }, ctx);
  assert.deepEqual([explicit.height, explicit.width, explicit.num_channels], [4, 6, 3]);
  await assertDataError(
    () => inferImageShape([null, "missing.png"], SETTINGS, { column: "img", file: "data.csv" }),
    /^Cannot preprocess "data.csv": column "img": no readable image in the first 2 rows .*data row 2: cannot read image "missing.png": file not found/,
    { column: "img", featureType: "image" },
  );
});

Deno.test("decodeImageColumn() resolves relative paths against the dataset's folder", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "imgs"));
    const a = pattern(6, 6, 3, 1);
    const b = pattern(6, 6, 1, 2);
    await Deno.writeFile(join(dir, "imgs", "a.png"), await encode(a, "png"));
    await Deno.writeFile(join(dir, "imgs", "b.bmp"), encodeBmp(b));
    await Deno.writeFile(join(dir, "c.webp"), await encode(a, "webp"));
    const file = join(dir, "data.csv");
    const column = await decodeImageColumn(
      ["imgs/a.png", "imgs/b.bmp", join(dir, "c.webp")],
      fixedShape(6, 6, 3),
      { column: "image", file },
    );
    assert.equal(column.length, 3);
    assert.deepEqual(column.data.subarray(0, 108), a.data);
    assert.deepEqual(column.data.subarray(216), a.data);
    // b.bmp is stored as 24-bit gray replicated to RGB
    const bRgb = convertChannels(b, 3).data;
    assert.deepEqual(column.data.subarray(108, 216), bRgb);
    await assertDataError(
      () =>
        decodeImageColumn(["imgs/a.png", "imgs/none.png"], fixedShape(6, 6, 3), {
          column: "image",
          file,
        }),
      `Cannot preprocess "${file}": column "image": data row 2: cannot read image "imgs/none.png": file not found`,
      { row: 1, column: "image", file },
    );
  });
});

Deno.test("decodeImageColumn() reads data URIs, bytes and URLs through an on-disk cache", async () => {
  await withTempDir(async (dir) => {
    const png = await encode(pattern(4, 4, 3, 3), "png");
    const jpeg = await encode(pattern(4, 4, 3, 4), "jpeg");
    let hits = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      hits++;
      const path = new URL(req.url).pathname;
      if (path === "/a.png") return new Response(png);
      return new Response("nope", { status: 404 });
    });
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const cacheDir = join(dir, "cache");
      const uri = `data:image/jpeg;base64,${btoa(String.fromCharCode(...jpeg))}`;
      const cells = [`${base}/a.png`, uri, png, `${base}/a.png`];
      const column = await decodeImageColumn(cells, fixedShape(4, 4, 3), {
        column: "image",
        cacheDir,
      });
      assert.deepEqual(column.data.subarray(0, 48), pattern(4, 4, 3, 3).data);
      assert.deepEqual(column.data.subarray(96, 144), pattern(4, 4, 3, 3).data);
      assert.deepEqual(column.data.subarray(144), pattern(4, 4, 3, 3).data);
      assert.equal(hits, 1);
      const cached = [...Deno.readDirSync(cacheDir)];
      assert.equal(cached.length, 1);
      // A second read comes from the cache, without the server.
      await decodeImageColumn([`${base}/a.png`], fixedShape(4, 4, 3), {
        column: "image",
        cacheDir,
      });
      assert.equal(hits, 1);
      await assertDataError(
        () =>
          decodeImageColumn([png, `${base}/gone.png`], fixedShape(4, 4, 3), {
            column: "url",
            cacheDir,
          }),
        new RegExp(
          `^Cannot preprocess data: column "url": data row 2: cannot read image "${base}/gone.png": cannot fetch: HTTP 404$`,
        ),
        { row: 1 },
      );
    } finally {
      await server.shutdown();
    }
  });
});

Deno.test("decodeImageColumn() converts channels and resizes, or reports what differs", async () => {
  const gray = await encode(pattern(8, 8, 1), "png");
  const rgba = await encode(pattern(4, 4, 4), "png");
  const out = await decodeImageColumn([gray, rgba], fixedShape(4, 4, 3), { column: "image" });
  assert.equal(out.data.length, 2 * 4 * 4 * 3);
  const grayResized = await decodeImageColumn([gray, rgba], fixedShape(5, 3, 1), {
    column: "image",
  });
  assert.equal(grayResized.data.length, 2 * 5 * 3);
  const rgbaResized = await decodeImageColumn([rgba], fixedShape(6, 6, 4), { column: "image" });
  assert.equal(rgbaResized.channels, 4);
  assert.equal(rgbaResized.data.length, 6 * 6 * 4);
  const flatGray = await decodeImageColumn(
    [await encode({ data: new Uint8Array(16).fill(77), height: 4, width: 4, channels: 1 }, "png")],
    fixedShape(7, 9, 1),
    { column: "image" },
  );
  assert.ok(flatGray.data.every((v) => v === 77));
  const crop = await decodeImageColumn(
    [gray],
    fixedShape(4, 4, 1, { resize_method: "crop_or_pad" }),
    {
      column: "image",
    },
  );
  assert.deepEqual(crop.data, cropOrPad(pattern(8, 8, 1), 4, 4).data);
  await assertDataError(
    () =>
      decodeImageColumn([gray, rgba], fixedShape(8, 8, 1, { convert_channels: false }), {
        column: "image",
      }),
    /^Cannot preprocess data: column "image": data row 2: cannot read the image bytes: the image has 4 channels, unlike the first image, which has 1: /,
    { row: 1 },
  );
  await assertDataError(
    () =>
      decodeImageColumn([gray, rgba], fixedShape(8, 8, 1, { should_resize: false }), {
        column: "image",
      }),
    /data row 2: cannot read the image bytes: the image is 4x4, unlike the expected 8x8/,
  );
  await assertDataError(
    () => decodeImageColumn([gray, "  "], fixedShape(8, 8, 1), { column: "image" }),
    /data row 2: the image is missing/,
  );
  const filled = await decodeImageColumn([gray, null], fixedShape(8, 8, 1), {
    column: "image",
    missingFill: 9,
  });
  assert.ok(filled.data.subarray(64).every((v) => v === 9));
  await assertDataError(
    () =>
      decodeImageColumn([gray, new TextEncoder().encode("garbage")], fixedShape(8, 8, 1), {
        column: "image",
      }),
    /data row 2: cannot read the image bytes: cannot decode the image: /,
  );
  await assertDataError(
    () => decodeImageColumn([42], fixedShape(8, 8, 1), { column: "image" }),
    /data row 1: expected an image path, URL, data URI or bytes, received a number/,
  );
});

Deno.test("decodeImageColumn() gives identical bytes with 1 and 3 workers, and locates errors", async () => {
  const cells: Uint8Array[] = [];
  for (let i = 0; i < 23; i++) {
    cells.push(await encode(pattern(6 + (i % 3), 5 + (i % 4), i % 2 === 0 ? 3 : 1, i), "png"));
  }
  const shape = fixedShape(6, 6, 3);
  const one = await decodeImageColumn(cells, shape, {
    column: "image",
    numProcesses: 1,
    jobSize: 4,
  });
  const three = await decodeImageColumn(cells, shape, {
    column: "image",
    numProcesses: 3,
    jobSize: 4,
  });
  assert.equal(one.length, 23);
  assert.deepEqual(three.data, one.data);
  const shared = await decodeImageColumn(cells, shape, {
    column: "image",
    numProcesses: 2,
    shared: true,
  });
  assert.ok(shared.data.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Array.from(shared.data), Array.from(one.data));
  const bad = [...cells];
  bad[13] = new TextEncoder().encode("corrupt");
  bad[17] = new TextEncoder().encode("corrupt");
  await assertDataError(
    () =>
      decodeImageColumn(bad, shape, {
        column: "image",
        file: "x.parquet",
        numProcesses: 3,
        jobSize: 4,
      }),
    /^Cannot preprocess "x.parquet": column "image": data row 14: cannot read the image bytes: cannot decode the image/,
    { row: 13 },
  );
});
