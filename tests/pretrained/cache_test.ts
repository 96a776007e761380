import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  downloadFile,
  downloadHuggingFaceFile,
  type DownloadProgress,
  hashPrefixOf,
  huggingFaceHubCache,
  resolveHuggingFaceModel,
  resolveTorchHubWeights,
  sha256File,
  torchHome,
  urlFileName,
} from "../../lib/pretrained/cache.ts";
import { WeightsError } from "../../lib/pretrained/tensor.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test("torchHome() follows model_cache_dir, TORCH_HOME, XDG_CACHE_HOME, then HOME", () => {
  assertEquals(torchHome("/m", { env: envOf({ TORCH_HOME: "/t" }) }), "/m");
  assertEquals(
    torchHome(undefined, { env: envOf({ TORCH_HOME: "/t", XDG_CACHE_HOME: "/x" }) }),
    "/t",
  );
  assertEquals(
    torchHome(undefined, { env: envOf({ XDG_CACHE_HOME: "/x", HOME: "/h" }) }),
    "/x/torch",
  );
  assertEquals(torchHome(undefined, { env: envOf({ HOME: "/h" }) }), "/h/.cache/torch");
});

Deno.test("huggingFaceHubCache() follows HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, then HOME", () => {
  assertEquals(huggingFaceHubCache({ env: envOf({ HF_HUB_CACHE: "/c", HF_HOME: "/h" }) }), "/c");
  assertEquals(huggingFaceHubCache({ env: envOf({ HF_HOME: "/h" }) }), "/h/hub");
  assertEquals(huggingFaceHubCache({ env: envOf({ XDG_CACHE_HOME: "/x" }) }), "/x/huggingface/hub");
  assertEquals(huggingFaceHubCache({ env: envOf({ HOME: "/u" }) }), "/u/.cache/huggingface/hub");
});

Deno.test("hashPrefixOf() reads torchvision's file names as torch's check_hash does", () => {
  assertEquals(hashPrefixOf("resnet18-f37072fd.pth"), "f37072fd");
  assertEquals(hashPrefixOf("efficientnet_b0_rwightman-7f5810bc.pth"), "7f5810bc");
  assertEquals(hashPrefixOf("vit_b_16-c867db91.pth"), "c867db91");
  assertEquals(hashPrefixOf("regnet_y_128gf_swag-c8ce3e52.pth"), "c8ce3e52");
  assertEquals(hashPrefixOf("my_weights.pth"), undefined);
  assertEquals(
    urlFileName("https://download.pytorch.org/models/mobilenet_v2-b0353104.pth?x=1"),
    "mobilenet_v2-b0353104.pth",
  );
});

Deno.test("resolveTorchHubWeights() finds cached files and verifies the hash in their names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new TextEncoder().encode("weights");
    const prefix = sha256(bytes).slice(0, 8);
    const checkpoints = `${dir}/hub/checkpoints`;
    await Deno.mkdir(checkpoints, { recursive: true });
    await Deno.writeFile(`${checkpoints}/tiny-${prefix}.pth`, bytes);
    const url = `https://download.pytorch.org/models/tiny-${prefix}.pth`;
    assertEquals(
      await resolveTorchHubWeights(url, { modelCacheDir: dir, download: false }),
      `${checkpoints}/tiny-${prefix}.pth`,
    );
    // TORCH_HOME gives the same answer.
    assertEquals(
      await resolveTorchHubWeights(url, { env: envOf({ TORCH_HOME: dir }), download: false }),
      `${checkpoints}/tiny-${prefix}.pth`,
    );
    await Deno.writeFile(`${checkpoints}/tiny-00000000.pth`, bytes);
    await rejects(
      resolveTorchHubWeights("https://x.invalid/tiny-00000000.pth", {
        modelCacheDir: dir,
        download: false,
      }),
      (e: Error) =>
        e instanceof WeightsError && e.message.includes('requires a hash starting with "00000000"'),
    );
    assertEquals(
      await resolveTorchHubWeights("https://x.invalid/tiny-00000000.pth", {
        modelCacheDir: dir,
        checkHash: false,
        download: false,
      }),
      `${checkpoints}/tiny-00000000.pth`,
    );
    await rejects(
      resolveTorchHubWeights("https://x.invalid/absent.pth", {
        modelCacheDir: dir,
        download: false,
      }),
      /absent\.pth": the file is not in the torch cache; download https:\/\/x\.invalid\/absent\.pth/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveHuggingFaceModel() resolves local folders, refs and commits", async () => {
  const cache = await Deno.makeTempDir();
  try {
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const repo = `${cache}/models--google--bert_uncased_L-2_H-128_A-2`;
    await Deno.mkdir(`${repo}/refs`, { recursive: true });
    await Deno.mkdir(`${repo}/snapshots/${commit}`, { recursive: true });
    await Deno.writeTextFile(`${repo}/refs/main`, `${commit}\n`);
    const name = "google/bert_uncased_L-2_H-128_A-2";
    assertEquals(
      await resolveHuggingFaceModel(name, { cacheDir: cache }),
      `${repo}/snapshots/${commit}`,
    );
    assertEquals(
      await resolveHuggingFaceModel(name, { env: envOf({ HF_HUB_CACHE: cache }) }),
      `${repo}/snapshots/${commit}`,
    );
    assertEquals(
      await resolveHuggingFaceModel(name, { cacheDir: cache, revision: commit }),
      `${repo}/snapshots/${commit}`,
    );
    assertEquals(await resolveHuggingFaceModel(repo, { cacheDir: cache }), repo);
    await rejects(
      resolveHuggingFaceModel(name, { cacheDir: cache, revision: "v2" }),
      (e: Error) => {
        ok(e instanceof WeightsError);
        ok(e.message.includes(`not in the Hugging Face cache (no "${repo}/refs/v2")`), e.message);
        return true;
      },
    );
    await rejects(
      resolveHuggingFaceModel(name, { cacheDir: cache, revision: "f".repeat(40) }),
      /has no snapshot/,
    );
    await rejects(
      resolveHuggingFaceModel("./no/such/dir/", { cacheDir: cache }),
      /neither a folder nor a Hugging Face model name/,
    );
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

/** A bounded local server: serves `routes`, closes when the test ends. */
function serve(routes: Record<string, (req: Request) => Response>) {
  const controller = new AbortController();
  const requests: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen() {},
  }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    const route = routes[path];
    return route === undefined ? new Response("not found", { status: 404 }) : route(req);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    base,
    requests,
    async close() {
      controller.abort();
      await server.finished;
    },
  };
}

Deno.test("downloadFile() streams to a temporary file, reports progress and checks the hash", async () => {
  const body = new Uint8Array(200_000).map((_, i) => i % 251);
  const server = serve({
    "/w.pth": () => new Response(body, { headers: { "content-length": String(body.length) } }),
    "/short.pth": () => {
      // Announces more bytes than it sends, then ends: a truncated download.
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(body.subarray(0, 1000));
          c.close();
        },
      });
      return new Response(stream, { headers: { "content-length": "5000" } });
    },
  });
  const dir = await Deno.makeTempDir();
  try {
    const progress: DownloadProgress[] = [];
    await downloadFile(`${server.base}/w.pth`, `${dir}/sub/w.pth`, {
      onProgress: (p) => progress.push(p),
      sha256Prefix: sha256(body).slice(0, 8),
    });
    assertEquals(await sha256File(`${dir}/sub/w.pth`), sha256(body));
    ok(progress.length >= 1);
    assertEquals(progress.at(-1), { received: body.length, total: body.length });
    await rejects(
      downloadFile(`${server.base}/w.pth`, `${dir}/bad.pth`, { sha256Prefix: "00000000" }),
      /expected one starting with "00000000"/,
    );
    await rejects(downloadFile(`${server.base}/missing.pth`, `${dir}/m.pth`), /answered HTTP 404/);
    await rejects(downloadFile(`${server.base}/short.pth`, `${dir}/s.pth`), (e: Error) => {
      ok(e instanceof WeightsError && e.message.includes("s.pth"), e.message);
      return true;
    });
    // Nothing but the good file is left: no partial or temporary files.
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assertEquals(names, ["sub"]);
    const sub: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/sub`)) sub.push(entry.name);
    assertEquals(sub, ["w.pth"]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveTorchHubWeights() downloads into the torch cache once", async () => {
  const body = new TextEncoder().encode("tiny torchvision weights");
  const prefix = sha256(body).slice(0, 8);
  const server = serve({ [`/models/tiny-${prefix}.pth`]: () => new Response(body) });
  const dir = await Deno.makeTempDir();
  try {
    const url = `${server.base}/models/tiny-${prefix}.pth`;
    const path = await resolveTorchHubWeights(url, { modelCacheDir: dir });
    assertEquals(path, `${dir}/hub/checkpoints/tiny-${prefix}.pth`);
    assertEquals(await resolveTorchHubWeights(url, { modelCacheDir: dir }), path);
    assertEquals(server.requests.length, 1);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloads fail offline with a message naming where to put the file", async () => {
  // A port that was just closed: the connection is refused, as offline.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      resolveTorchHubWeights(`http://127.0.0.1:${port}/models/r-abcdef12.pth`, {
        modelCacheDir: dir,
      }),
      (e: Error) => {
        ok(e instanceof WeightsError);
        ok(
          e.message.startsWith(
            `Cannot download weights "${dir}/hub/checkpoints/r-abcdef12.pth": cannot reach`,
          ),
          e.message,
        );
        ok(
          e.message.includes(`place the file at "${dir}/hub/checkpoints/r-abcdef12.pth"`),
          e.message,
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadHuggingFaceFile() saves into the hub layout and resolves it afterwards", async () => {
  const commit = "89abcdef0123456789abcdef0123456789abcdef";
  const server = serve({
    "/org/tiny/resolve/main/config.json": (req) => {
      assertEquals(req.headers.get("authorization"), "Bearer tok");
      return new Response('{"model_type":"bert"}', { headers: { "x-repo-commit": commit } });
    },
  });
  const cache = await Deno.makeTempDir();
  try {
    const path = await downloadHuggingFaceFile("org/tiny", "config.json", {
      cacheDir: cache,
      endpoint: server.base,
      token: "tok",
    });
    assertEquals(path, `${cache}/models--org--tiny/snapshots/${commit}/config.json`);
    assertEquals(await Deno.readTextFile(`${cache}/models--org--tiny/refs/main`), commit);
    assertEquals(
      await resolveHuggingFaceModel("org/tiny", { cacheDir: cache }),
      `${cache}/models--org--tiny/snapshots/${commit}`,
    );
    // The second call is served by the cache.
    await downloadHuggingFaceFile("org/tiny", "config.json", {
      cacheDir: cache,
      endpoint: server.base,
    });
    assertEquals(server.requests.length, 1);
    const snapshots: string[] = [];
    for await (const entry of Deno.readDir(`${cache}/models--org--tiny/snapshots`)) {
      snapshots.push(entry.name);
    }
    assertEquals(snapshots, [commit]);
    await rejects(
      downloadHuggingFaceFile("org/tiny", "model.safetensors", {
        cacheDir: cache,
        endpoint: server.base,
      }),
      /answered HTTP 404/,
    );
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
});
