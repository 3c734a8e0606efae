// float16 element bits to and from JavaScript numbers, for feeding and reading onnxruntime's
// float16 tensors (which hold their elements as bits in a Uint16Array).
const word = new DataView(new ArrayBuffer(4));

/** @param {number} bits */
export function halfBitsToFloat(bits) {
  const exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff, sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (mantissa + 1024) * 2 ** (exponent - 25);
}

/** The nearest float16 (ties to even), as bits. @param {number} value */
export function floatToHalfBits(value) {
  word.setFloat32(0, value);
  const bits = word.getUint32(0);
  const sign = (bits >>> 16) & 0x8000, magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;
  if (magnitude >= 0x477ff000) return sign | 0x7c00;
  if (magnitude < 0x38800000) {
    const scaled = Math.abs(value) * 2 ** 24, whole = Math.floor(scaled), fraction = scaled - whole;
    return sign | (whole + (fraction > 0.5 || (fraction === 0.5 && whole % 2) ? 1 : 0));
  }
  const rebiased = magnitude - (112 << 23);
  return sign | ((rebiased + 0xfff + ((rebiased >>> 13) & 1)) >>> 13);
}

/** A float16 tensor as float32 (others unchanged). */
export const asFloat = (t) => (t.type === 'float16' ? { type: 'float32', dims: t.dims, data: Float32Array.from(t.data, halfBitsToFloat) } : t);
