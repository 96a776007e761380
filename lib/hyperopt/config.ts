/**
 * Trial configs: the user's config with the hyperopt section removed and each sampled value
 * set at its path. Paths are Ludwig's: a config section (`trainer.learning_rate`,
 * `combiner.output_size`, `defaults.number.preprocessing.normalization`), a feature by name
 * (`<feature>.encoder.num_filters`), or `.` for a parameter group whose values are dicts merged
 * into the whole config (Ludwig's nested parameters). A dict value at any other path replaces
 * what is there (`trainer.optimizer: {type: sgd, momentum: 0.9}`).
 *
 * @module
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep-merge `source` into `target` (objects merge, everything else replaces). */
export function mergeInto(target: Obj, source: Obj): Obj {
  for (const [k, v] of Object.entries(source)) {
    if (isObj(v) && isObj(target[k])) mergeInto(target[k] as Obj, v);
    else target[k] = structuredClone(v);
  }
  return target;
}

function setPath(root: Obj, parts: readonly string[], value: unknown, path: string): void {
  let node = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next === "string" && i > 0) node[key] = { type: next }; // `encoder: cnn` shorthand
    else if (!isObj(next)) {
      throw new TypeError(
        `Cannot set hyperopt parameter "${path}": "${
          parts.slice(0, i + 1).join(".")
        }" is not a section`,
      );
    }
    node = node[key] as Obj;
  }
  node[parts[parts.length - 1]] = structuredClone(value);
}

function featureList(config: Obj): Obj[] {
  const list = (k: string) => (Array.isArray(config[k]) ? config[k] as unknown[] : []);
  return [...list("input_features"), ...list("output_features")].filter(isObj);
}

/**
 * Set one sampled value at its Ludwig path in a raw config (in place).
 *
 * @param config A raw (unresolved) config.
 * @param path The parameter path.
 * @param value The sampled value.
 */
export function applyParameter(config: Obj, path: string, value: unknown): void {
  if (path === ".") {
    if (!isObj(value)) {
      throw new TypeError(
        `Cannot set hyperopt parameter ".": its values must be dicts of config sections, received ${
          JSON.stringify(value)
        }`,
      );
    }
    mergeInto(config, value);
    return;
  }
  const parts = path.split(".");
  const feature = featureList(config).find((f) => f.name === parts[0]);
  if (feature && parts.length > 1) {
    setPath(feature, parts.slice(1), value, path);
    return;
  }
  setPath(config, parts, value, path);
}

/**
 * The config of one trial: the base config without `hyperopt`, the scheduler's epoch budget
 * (max_t epochs, no early stop, when a scheduler other than fifo prunes), then every parameter.
 */
export function trialConfig(
  base: Readonly<Obj>,
  parameters: Readonly<Record<string, unknown>>,
  options: { maxEpochs?: number } = {},
): Obj {
  const config = structuredClone(base) as Obj;
  delete config.hyperopt;
  if (options.maxEpochs !== undefined) {
    const trainer = isObj(config.trainer) ? config.trainer : (config.trainer = {}) as Obj;
    trainer.epochs = options.maxEpochs;
    trainer.early_stop = -1;
  }
  for (const [path, value] of Object.entries(parameters)) applyParameter(config, path, value);
  return config;
}
