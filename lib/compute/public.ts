/**
 * The public surface of `@sonata/sonata/backend`: choose the compute engine, see which one runs,
 * and list the engines that are usable here (what `sonata check_install` prints).
 *
 * TensorFlow.js itself is not re-exported: import `@tensorflow/tfjs` for tensors.
 *
 * @example Choose an engine
 * ```ts ignore
 * import { engineInfo, ready } from "@sonata/sonata/backend";
 *
 * const info = await ready({ compute: "cpu", quiet: true });
 * console.log(info.engine, engineInfo()?.reason);
 * ```
 *
 * @module
 */
export {
  type ComputeEngine,
  type ComputeOption,
  type EngineInfo,
  engineInfo,
  ENGINES,
  type EngineStatus,
  EngineUnavailableError,
  listEngines,
  ready,
  type ReadyOptions,
} from "./mod.ts";
export { nativeBackendInfo } from "./native.ts";
export type { NativeBackendInfo } from "./native.ts";
