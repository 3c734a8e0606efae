#include <gtest/gtest.h>

#include "ir/ir.h"

namespace qplay {
namespace {

Node MakeNode(const std::string& name, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = name;
  n.op_type = "Relu";
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

TEST(Ir, TopologicalSortOrdersProducersFirstAndKeepsValidOrder) {
  Graph g;
  g.name = "g";
  g.inputs = {"x"};
  g.nodes = {MakeNode("c", {"b"}, {"c"}), MakeNode("a", {"x"}, {"a"}), MakeNode("b", {"a"}, {"b"}),
             MakeNode("d", {"x"}, {"d"})};
  ASSERT_TRUE(TopologicalSort(g).ok());
  std::vector<std::string> order;
  for (const Node& n : g.nodes) order.push_back(n.name);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d"})) << "earliest ready node first";
  ASSERT_TRUE(TopologicalSort(g).ok());
  std::vector<std::string> again;
  for (const Node& n : g.nodes) again.push_back(n.name);
  EXPECT_EQ(again, order) << "an already sorted graph keeps its order";
}

TEST(Ir, SubgraphOuterScopeNamesAreDependencies) {
  auto body = std::make_shared<Graph>();
  body->nodes = {MakeNode("inner", {"outer_value"}, {"r"})};
  body->outputs = {"r"};
  EXPECT_EQ(body->OuterScopeNames(), (std::vector<std::string>{"outer_value"}));

  Graph g;
  g.inputs = {"x"};
  Node if_node = MakeNode("if", {"x"}, {"y"});
  if_node.attributes["then_branch"].g = body;
  g.nodes = {if_node, MakeNode("producer", {"x"}, {"outer_value"})};
  ASSERT_TRUE(TopologicalSort(g).ok());
  EXPECT_EQ(g.nodes[0].name, "producer") << "the If waits for the value its branch reads";
}

TEST(Ir, DimAndTypeStrings) {
  ValueType t{DataType::kFloat, std::vector<Dim>{Dim::Symbolic("batch"), Dim::Known(3), Dim{}}};
  EXPECT_EQ(t.ShapeString(), "[batch, 3, ?]");
  EXPECT_EQ(ValueType{}.ShapeString(), "(unknown rank)");
}

}  // namespace
}  // namespace qplay
