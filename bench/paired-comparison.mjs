// Whether two quantized models' top-1 accuracies really differ, measured on the same images.
// Each model is given by the images whose class differs from its float model's (the
// `disagreements` of `qplay eval --compare --json`, which examples/reference_quantization.py
// records for PyTorch in the same form). Only on those images can one model be right and the
// other wrong, so the lists and the labels decide the comparison; the exact McNemar test then
// says how likely so uneven a split of those images is when both models are equally accurate.

// Returns how many images only `a` classifies right, how many only `b` does, and the two-sided
// exact McNemar p-value of that split.
export function pairedComparison(a, b, labels) {
  const floatClass = new Map();
  const classOf = (disagreements) => new Map(disagreements.map((d) => {
    const known = floatClass.get(d.sample);
    if (known !== undefined && known !== d.reference)
      throw new Error(`the two float models classify image ${d.sample} differently (${known} and ${d.reference})`);
    floatClass.set(d.sample, d.reference);
    return [d.sample, d.test];
  }));
  const [classA, classB] = [classOf(a), classOf(b)];
  let onlyA = 0;
  let onlyB = 0;
  for (const [sample, reference] of floatClass) {
    const rightA = (classA.get(sample) ?? reference) === labels[sample];
    const rightB = (classB.get(sample) ?? reference) === labels[sample];
    if (rightA && !rightB) onlyA++;
    if (rightB && !rightA) onlyB++;
  }
  return { onlyA, onlyB, p: exactMcNemarP(onlyA, onlyB) };
}

// Two-sided: twice the binomial(n, 1/2) probability of a split at least as uneven, at most 1.
export function exactMcNemarP(onlyA, onlyB) {
  const n = onlyA + onlyB;
  let term = 0.5 ** n; // P(k = 0)
  let tail = 0;
  for (let k = 0; k <= Math.min(onlyA, onlyB); k++) {
    tail += term;
    term *= (n - k) / (k + 1);
  }
  return Math.min(1, 2 * tail);
}
