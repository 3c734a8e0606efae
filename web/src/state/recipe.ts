// The recipe: every choice the page offers, one row per key in RECIPE_KEYS. The URL holds the
// keys a person set (so a link reproduces the recipe); a key left unset takes the backend
// preset's default. toConfig() writes the core's QuantizationConfig (ONNX Runtime's names).
import type { BackendPreset, QuantConfig } from '../engine/types';

type Kind = 'string' | 'boolean' | 'number' | 'list';

interface KeySpec {
  url: string;                          // the query parameter
  kind: Kind;
  path: string[];                       // where it goes in the config
  fallback?: unknown;                   // when neither the URL nor the preset sets it
}

export const RECIPE_KEYS = {
  backend: { url: 'backend', kind: 'string', path: ['backend'], fallback: 'onnxruntime' },
  mode: { url: 'mode', kind: 'string', path: ['mode'], fallback: 'static' },
  format: { url: 'format', kind: 'string', path: ['quant_format'] },
  perChannel: { url: 'per_channel', kind: 'boolean', path: ['per_channel'] },
  activationType: { url: 'activation', kind: 'string', path: ['activation_type'] },
  weightType: { url: 'weight', kind: 'string', path: ['weight_type'] },
  activationSymmetric: { url: 'act_sym', kind: 'boolean', path: ['extra_options', 'ActivationSymmetric'] },
  weightSymmetric: { url: 'weight_sym', kind: 'boolean', path: ['extra_options', 'WeightSymmetric'] },
  reduceRange: { url: 'reduce_range', kind: 'boolean', path: ['reduce_range'] },
  method: { url: 'method', kind: 'string', path: ['calibrate_method'] },
  percentile: { url: 'percentile', kind: 'number', path: ['extra_options', 'CalibPercentile'] },
  calibrationLimit: { url: 'calib_limit', kind: 'number', path: ['calibration_limit'] },
  exclude: { url: 'exclude', kind: 'list', path: ['nodes_to_exclude'], fallback: [] },
  cle: { url: 'cle', kind: 'boolean', path: ['cross_layer_equalization'] },
  biasCorrection: { url: 'bias_correction', kind: 'boolean', path: ['bias_correction'] },
  smoothQuant: { url: 'smooth_quant', kind: 'boolean', path: ['extra_options', 'SmoothQuant'] },
  smoothQuantAlpha: { url: 'alpha', kind: 'number', path: ['extra_options', 'SmoothQuantAlpha'] },
  weightBits: { url: 'bits', kind: 'number', path: ['weight_bits'] },
  blockSize: { url: 'block', kind: 'number', path: ['block_size'] },
  accuracyLevel: { url: 'accuracy', kind: 'number', path: ['accuracy_level'] },
} satisfies Record<string, KeySpec>;

export type RecipeKey = keyof typeof RECIPE_KEYS;
export type Recipe = Partial<Record<RecipeKey, unknown>>;  // only what the person set

function lookup(object: Record<string, unknown> | undefined, path: string[]): unknown {
  let value: unknown = object;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

// What a key is under the recipe: the person's choice, else the preset's default.
export function effective(recipe: Recipe, key: RecipeKey, presets: BackendPreset[]): unknown {
  if (recipe[key] !== undefined) return recipe[key];
  const spec: KeySpec = RECIPE_KEYS[key];
  const preset = presets.find((p) => p.name === (recipe.backend ?? RECIPE_KEYS.backend.fallback));
  return lookup(preset?.defaults, spec.path) ?? spec.fallback;
}

// Keys that apply to weight-only recipes only, and of those to MatMulNBits blocks only: left out
// of other recipes, so that a choice made under another mode is never refused by the core.
function applies(recipe: Recipe, key: RecipeKey): boolean {
  const weightOnly = recipe.mode === 'weight_only';
  if (key === 'weightBits' || key === 'blockSize') return weightOnly;
  if (key === 'accuracyLevel') return weightOnly && (Number(recipe.weightBits) === 4 || recipe.format === 'QOperator');
  return true;
}

export function toConfig(recipe: Recipe): QuantConfig {
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(RECIPE_KEYS) as [RecipeKey, KeySpec][]) {
    const value = recipe[key];
    if (value === undefined || !applies(recipe, key)) continue;
    let target = config;
    for (const part of spec.path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
    target[spec.path[spec.path.length - 1]] = value;
  }
  return config;
}

function parse(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'boolean': return text === '1' || text === 'true';
    case 'number': return Number.isFinite(Number(text)) ? Number(text) : undefined;
    case 'list': return text.split(',').filter(Boolean);
    default: return text;
  }
}

function format(kind: Kind, value: unknown): string {
  if (kind === 'boolean') return value ? '1' : '0';
  if (kind === 'list') return (value as string[]).join(',');
  return String(value);
}

export function recipeFromUrl(search: string): Recipe {
  const params = new URLSearchParams(search);
  const recipe: Recipe = {};
  for (const [key, spec] of Object.entries(RECIPE_KEYS) as [RecipeKey, KeySpec][]) {
    const text = params.get(spec.url);
    if (text !== null) recipe[key] = parse(spec.kind, text);
  }
  return recipe;
}

// The query string with the recipe's keys replaced; other parameters (model=...) stay.
export function recipeToUrl(recipe: Recipe, search: string): string {
  const params = new URLSearchParams(search);
  for (const [key, spec] of Object.entries(RECIPE_KEYS) as [RecipeKey, KeySpec][]) {
    const value = recipe[key];
    const empty = value === undefined || (spec.kind === 'list' && !(value as string[]).length);
    if (empty) params.delete(spec.url);
    else params.set(spec.url, format(spec.kind, value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
