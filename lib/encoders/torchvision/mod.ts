/**
 * The torchvision encoder families (Ludwig 0.7's `resnet`, `vgg`, `vit` …): each family module
 * exports a {@linkcode FamilyTable} (variants, weights files, preprocessing, builder) whose
 * models equal torchvision's with the last classification layer removed. Shared blocks, the
 * state_dict loader and the deterministic test-weight formula are in `_core.ts`.
 *
 * @module
 */
export {
  applyFormulaWeights,
  applyStateDict,
  type ApplyStateDictOptions,
  type BuildOptions,
  type FamilyTable,
  formulaInput,
  formulaStateDict,
  IMAGENET_MEAN,
  IMAGENET_STD,
  loadFamilyWeights,
  type Preprocessing,
  torchWeightTargets,
  type VariantEntry,
  variantEntry,
  variantNames,
  type WeightTarget,
} from "./_core.ts";
import type { FamilyTable } from "./_core.ts";

// ---- Families: each helper adds one import line below and one entry in FAMILIES ----
// (V1)
import { DENSENET } from "./densenet.ts";
import { GOOGLENET, INCEPTION_V3 } from "./googlenet.ts";
import { RESNET, RESNEXT, WIDE_RESNET } from "./resnet.ts";
import { SQUEEZENET } from "./squeezenet.ts";
import { ALEXNET, VGG } from "./vgg.ts";
// (V2)
import { EFFICIENTNET } from "./efficientnet.ts";
import { MNASNET } from "./mnasnet.ts";
import { MOBILENET_V2, MOBILENET_V3 } from "./mobilenet.ts";
import { REGNET } from "./regnet.ts";
import { SHUFFLENET_V2 } from "./shufflenet.ts";
// (V3)
import { CONVNEXT } from "./convnext.ts";
import { MAXVIT } from "./maxvit.ts";
import { SWIN } from "./swin.ts";
import { VIT } from "./vit.ts";

/** The families by Ludwig encoder type. */
export const FAMILIES: Readonly<Record<string, FamilyTable>> = {
  // (V1)
  alexnet: ALEXNET,
  densenet: DENSENET,
  googlenet: GOOGLENET,
  inceptionv3: INCEPTION_V3,
  resnet: RESNET,
  resnext: RESNEXT,
  squeezenet: SQUEEZENET,
  vgg: VGG,
  wide_resnet: WIDE_RESNET,
  // (V2)
  efficientnet: EFFICIENTNET,
  mnasnet: MNASNET,
  mobilenetv2: MOBILENET_V2,
  mobilenetv3: MOBILENET_V3,
  regnet: REGNET,
  shufflenet_v2: SHUFFLENET_V2,
  // (V3)
  convnext: CONVNEXT,
  maxvit: MAXVIT,
  swin_transformer: SWIN,
  vit: VIT,
};
