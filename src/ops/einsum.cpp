#include "ops/einsum.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace qplay {
namespace {

// One term of the equation: letters, and where "..." stands (-1: absent).
struct Term {
  std::string letters;
  int64_t ellipsis_at = -1;
};

Result<Term> ParseTerm(const std::string& text, const std::string& equation) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "...") == 0 && term.ellipsis_at < 0) {
      term.ellipsis_at = static_cast<int64_t>(term.letters.size());
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(text[i]))) {
      term.letters += text[i];
    } else {
      return Fail(StatusCode::kInvalidArgument, "equation '", equation, "' has '", text[i], "' where a letter should be");
    }
  }
  return term;
}

}  // namespace

Result<EinsumPlan> PlanEinsum(const std::string& equation, const std::vector<Shape>& inputs) {
  std::string text;
  for (char c : equation)
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  const size_t arrow = text.find("->");
  const std::string lhs = text.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    auto term = ParseTerm(lhs.substr(start, comma == std::string::npos ? comma : comma - start), equation);
    if (!term.ok()) return term.status();
    terms.push_back(*term);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != inputs.size())
    return Fail(StatusCode::kInvalidArgument, "equation '", equation, "' has ", terms.size(), " inputs; the node has ", inputs.size());

  // Indices: the letters, then the "..." dims (right-aligned across inputs, as numpy broadcasts them).
  size_t ellipsis_rank = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    const int64_t rank = static_cast<int64_t>(inputs[i].size()), named = static_cast<int64_t>(terms[i].letters.size());
    if (terms[i].ellipsis_at < 0 ? rank != named : rank < named)
      return Fail(StatusCode::kInvalidArgument, "equation '", equation, "' names ", named, " axes of input ", i, ", which has rank ", rank);
    if (terms[i].ellipsis_at >= 0) ellipsis_rank = std::max(ellipsis_rank, static_cast<size_t>(rank - named));
  }
  std::map<char, size_t> letter_index;
  std::vector<int64_t> length;  // by index id; -1 until an input gives it
  auto index_of = [&](char letter) {
    auto [it, added] = letter_index.emplace(letter, length.size());
    if (added) length.push_back(-1);
    return it->second;
  };
  std::vector<size_t> ellipsis(ellipsis_rank);
  for (size_t& id : ellipsis) {
    id = length.size();
    length.push_back(1);
  }
  EinsumPlan plan;
  std::map<char, int> count;
  for (size_t i = 0; i < terms.size(); ++i) {
    const Term& term = terms[i];
    const size_t spread = inputs[i].size() - term.letters.size();
    std::vector<size_t> reads;
    for (size_t k = 0; k < term.letters.size(); ++k) {
      if (static_cast<int64_t>(k) == term.ellipsis_at)
        for (size_t e = 0; e < spread; ++e) reads.push_back(ellipsis[ellipsis_rank - spread + e]);
      reads.push_back(index_of(term.letters[k]));
      ++count[term.letters[k]];
    }
    if (term.ellipsis_at == static_cast<int64_t>(term.letters.size()))
      for (size_t e = 0; e < spread; ++e) reads.push_back(ellipsis[ellipsis_rank - spread + e]);
    for (size_t axis = 0; axis < reads.size(); ++axis) {
      const int64_t dim = inputs[i][axis];
      int64_t& known = length[reads[axis]];
      const bool broadcast = std::find(ellipsis.begin(), ellipsis.end(), reads[axis]) != ellipsis.end();
      if (known < 0 || (broadcast && known == 1)) known = dim;
      else if (dim != known && !(broadcast && dim == 1))
        return Fail(StatusCode::kInvalidArgument, "equation '", equation, "': axis ", axis, " of input ", i, " has length ", dim,
                    " where another axis of the same index has ", known);
    }
    plan.reads.push_back(std::move(reads));
  }

  // The output's indices: given after "->", or the "..." dims then each letter used once, in order.
  std::vector<size_t> output;
  if (arrow != std::string::npos) {
    auto term = ParseTerm(text.substr(arrow + 2), equation);
    if (!term.ok()) return term.status();
    for (size_t k = 0; k <= term->letters.size(); ++k) {
      if (static_cast<int64_t>(k) == term->ellipsis_at) output.insert(output.end(), ellipsis.begin(), ellipsis.end());
      if (k == term->letters.size()) break;
      auto it = letter_index.find(term->letters[k]);
      if (it == letter_index.end() || std::find(output.begin(), output.end(), it->second) != output.end())
        return Fail(StatusCode::kInvalidArgument, "equation '", equation, "': output letter '", term->letters[k],
                    "' is not an input's, or repeats");
      output.push_back(it->second);
    }
  } else {
    output = ellipsis;
    for (const auto& [letter, uses] : count)
      if (uses == 1) output.push_back(letter_index.at(letter));
  }
  // Renumber: the output's indices first, then the summed ones.
  std::vector<size_t> order = output;
  for (size_t id = 0; id < length.size(); ++id)
    if (std::find(order.begin(), order.end(), id) == order.end()) order.push_back(id);
  std::vector<size_t> position(length.size());
  for (size_t p = 0; p < order.size(); ++p) {
    position[order[p]] = p;
    plan.extents.push_back(length[order[p]]);
  }
  for (auto& reads : plan.reads)
    for (size_t& id : reads) id = position[id];
  plan.output_rank = output.size();
  return plan;
}

}  // namespace qplay
