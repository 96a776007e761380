// Ludwig's MNIST example layout: `encoder: stacked_cnn` with the encoder's keys beside it and
// TF-era names inside `conv_layers` is upgraded; `augmentation` stays on the feature; image
// `resnet`/`vit` (torchvision in Ludwig 0.7) are rejected as not available yet; image outputs
// are rejected.
import assert from "node:assert/strict";
import { loadConfig, validateConfig } from "../../lib/config/mod.ts";

Deno.test("image: the legacy flat stacked_cnn layout is upgraded", async () => {
  const config = validateConfig({
    input_features: [{
      name: "image_path",
      type: "image",
      encoder: "stacked_cnn",
      conv_layers: [
        { num_filters: 32, filter_size: 3, pool_size: 2, pool_stride: 2 },
        { num_filters: 64, filter_size: 3, pool_size: 2, pool_stride: 2, dropout: 0.4 },
      ],
      fc_layers: [{ output_size: 128, dropout: 0.4 }],
      augmentation: [{ type: "random_vertical_flip" }],
    }],
    output_features: [{ name: "label", type: "category" }],
  });
  const f = config.input_features[0];
  assert.equal(f.encoder.type, "stacked_cnn");
  assert.deepEqual(f.encoder.conv_layers, [
    { out_channels: 32, kernel_size: 3, pool_kernel_size: 2, pool_stride: 2 },
    { out_channels: 64, kernel_size: 3, pool_kernel_size: 2, pool_stride: 2, dropout: 0.4 },
  ]);
  assert.deepEqual(f.encoder.fc_layers, [{ output_size: 128, dropout: 0.4 }]);
  assert.deepEqual(f.augmentation, [{ type: "random_vertical_flip" }]);
  // The MNIST example's config is this layout's upgrade.
  const example = await loadConfig(
    new URL("../../examples/mnist/config.yaml", import.meta.url).pathname,
  );
  assert.deepEqual(example.input_features[0].encoder, f.encoder);
  // A current config is untouched.
  const current = validateConfig({
    ludwig_version: "0.7",
    input_features: [{ name: "i", type: "image", encoder: { type: "mlp_mixer", patch_size: 4 } }],
    output_features: [{ name: "label", type: "category" }],
  });
  assert.equal(current.input_features[0].encoder.patch_size, 4);
});

Deno.test("image: torchvision's resnet validates; image outputs are rejected with the reason", () => {
  // `resnet` is torchvision's ResNet now (lib/encoders/torchvision/entries.ts), no longer rejected.
  validateConfig({
    input_features: [{ name: "i", type: "image", encoder: "resnet" }],
    output_features: [{ name: "label", type: "category" }],
  });
  assert.throws(
    () =>
      validateConfig({
        input_features: [{ name: "x", type: "number" }],
        output_features: [{ name: "i", type: "image" }],
      }),
    /output feature type "image" exists in Ludwig but is not available in Sonata yet/,
  );
  assert.throws(
    () =>
      validateConfig({
        input_features: [{
          name: "i",
          type: "image",
          augmentation: [{ type: "random_blur", kernel_size: 4 }],
        }],
        output_features: [{ name: "label", type: "category" }],
      }),
    /kernel_size must be odd/,
  );
  // in_memory: false streams the images from the cache file (tests/features/image_streaming_test.ts).
  assert.equal(
    validateConfig({
      input_features: [{ name: "i", type: "image", preprocessing: { in_memory: false } }],
      output_features: [{ name: "label", type: "category" }],
    }).input_features[0].preprocessing.in_memory,
    false,
  );
  assert.throws(
    () =>
      validateConfig({
        input_features: [{ name: "i", type: "image", preprocessing: { in_memory: "no" } }],
        output_features: [{ name: "label", type: "category" }],
      }),
    /preprocessing\.in_memory/,
  );
});

Deno.test("image: the feature builder", async () => {
  const { feature } = await import("../../lib/builders/feature.ts");
  const img = feature.image("img").encoder("mlp_mixer", { patch_size: 4 }).augmentation(true)
    .preprocessing({ height: 16, width: 16 });
  const config = validateConfig({
    input_features: [img.toObject()],
    output_features: [{ name: "label", type: "category" }],
  });
  const f = config.input_features[0];
  assert.equal(f.encoder.patch_size, 4);
  assert.equal(f.augmentation?.length, 2);
  assert.equal(f.preprocessing.height, 16);
});
