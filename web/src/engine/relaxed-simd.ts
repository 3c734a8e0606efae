// Whether this engine runs relaxed SIMD: WebAssembly.validate on the smallest module that uses
// the instruction the relaxed build's 8-bit GEMM is built on. An engine without it rejects any
// module containing it, so the relaxed build is only loaded where this is true.
const v128Zero = [0xfd, 0x0c, ...new Array(16).fill(0)];  // v128.const 0
const probe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, //        types: () -> v128
  0x03, 0x02, 0x01, 0x00, //                          one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, //                    code: one body of 59 bytes, no locals
  ...v128Zero, ...v128Zero, ...v128Zero,
  0xfd, 0x93, 0x02, //                                i32x4.relaxed_dot_i8x16_i7x16_add_s
  0x0b, //                                            end
]);

export const supportsRelaxedSimd = () => WebAssembly.validate(probe);
