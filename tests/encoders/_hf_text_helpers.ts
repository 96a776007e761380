// Shared data and configs of the Hugging Face text encoder tests.

const WORDS = ["good", "bad", "great", "awful", "fine", "poor", "nice", "sad"];

/** A copy of a fixture folder (flat: files only). */
export async function copyFolder(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

export function textRows(n: number, seed = 1): Record<string, unknown>[] {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, () => {
    const k = 1 + Math.floor(rand() * 5);
    const words = Array.from({ length: k }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    const pos = words.filter((w) => ["good", "great", "fine", "nice"].includes(w)).length;
    return { text: words.join(" "), label: pos * 2 >= words.length ? "pos" : "neg" };
  });
}

export function bertConfig(folder: string, extra: Record<string, unknown> = {}) {
  return {
    input_features: [{
      name: "text",
      type: "text",
      encoder: { type: "bert", pretrained_model_name_or_path: folder, ...extra },
    }],
    output_features: [{ name: "label", type: "category" }],
    trainer: { epochs: 2, batch_size: 16, learning_rate: 0.01 },
  };
}
