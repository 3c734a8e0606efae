#include "kernels/op_support.h"

#include <sstream>

#include "kernels/registry.h"
#include "ops/schema.h"

namespace qplay {

std::vector<SupportedOp> SupportedOps() {
  const KernelRegistry& kernels = KernelRegistry::Get();
  std::vector<SupportedOp> ops;
  for (const OpSchema* schema : SchemaRegistry::Get().All()) {  // ordered by domain, op, version
    if (!kernels.Find(schema->domain(), schema->op_type())) continue;
    if (ops.empty() || ops.back().domain != schema->domain() || ops.back().op_type != schema->op_type())
      ops.push_back({schema->domain(), schema->op_type(), {},
                     kernels.Find(schema->domain(), schema->op_type(), KernelVariant::kFast) !=
                         kernels.Find(schema->domain(), schema->op_type())});
    ops.back().versions.push_back(schema->since());
  }
  return ops;
}

std::string SupportedOpsMarkdown() {
  std::ostringstream out;
  out << "| Domain | Op | Opsets | Fast kernel |\n|---|---|---|---|\n";
  for (const SupportedOp& op : SupportedOps()) {
    out << "| " << (op.domain.empty() ? "ai.onnx" : op.domain) << " | " << op.op_type << " | ";
    // "1-12, 13+": each definition from its version to the next one's.
    for (size_t i = 0; i < op.versions.size(); ++i) {
      out << (i ? ", " : "") << op.versions[i];
      if (i + 1 < op.versions.size()) {
        if (op.versions[i + 1] - 1 > op.versions[i]) out << "-" << op.versions[i + 1] - 1;
      } else {
        out << "+";
      }
    }
    out << " | " << (op.fast ? "yes" : "") << " |\n";
  }
  return out.str();
}

}  // namespace qplay
