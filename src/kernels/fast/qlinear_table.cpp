// Fast com.microsoft QLinearSigmoid and QLinearLeakyRelu: an 8-bit input has 256 values, so
// the reference kernel runs once on all of them and each element becomes a table lookup.
// Bit for bit the reference by construction; with constant scales and zero points the
// table is built once per session.
#include "kernels/quant_math.h"
#include "kernels/registry.h"

namespace qplay {
namespace {

// Table index of an 8-bit value: uint8 as is, int8 shifted by 128.
int Index(const Tensor& t, int64_t i) { return t.dtype() == DataType::kUint8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i] + 128; }

// The reference kernel's outputs for every input value, in index order (empty if it fails).
Tensor BuildTable(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  Tensor all(x.dtype(), {256});
  for (int v = 0; v < 256; ++v) {
    if (x.dtype() == DataType::kUint8) all.data<uint8_t>()[v] = static_cast<uint8_t>(v);
    else all.data<int8_t>()[v] = static_cast<int8_t>(v - 128);
  }
  std::vector<const Tensor*> inputs = {&all};
  for (size_t i = 1; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.has(i) ? &ctx.in(i) : nullptr);
  KernelContext inner(ctx.node, ctx.opset, inputs, nullptr);
  if (!RunReferenceKernel(inner).ok()) return Tensor();
  return inner.outputs()[0];
}

Status TableLookup(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  bool constant_params = true;
  for (size_t i = 1; i < ctx.num_inputs(); ++i) constant_params = constant_params && (!ctx.has(i) || ctx.constant(i));
  if (!Is8Bit(x)) return RunReferenceKernel(ctx);
  auto table = ctx.Derived<Tensor>(constant_params, [&] { return BuildTable(ctx); });
  if (table->empty() || !Is8Bit(*table)) return RunReferenceKernel(ctx);  // it names the problem
  Tensor& y = ctx.OutputToOverwrite(0, table->dtype(), x.shape());
  const uint8_t* entries = table->raw();  // uint8 and int8 entries copy alike, byte for byte
  for (int64_t i = 0; i < x.size(); ++i) y.raw()[i] = entries[Index(x, i)];
  return Status::Ok();
}

}  // namespace

void RegisterFastQLinearTableKernels(KernelRegistry& r) {
  r.Add("QLinearSigmoid", TableLookup, "com.microsoft", KernelVariant::kFast);
  r.Add("QLinearLeakyRelu", TableLookup, "com.microsoft", KernelVariant::kFast);
}

}  // namespace qplay
