#include "collect/relabel.h"

#include <gtest/gtest.h>

#include "collect/md5.h"

namespace opsight::collect {
namespace {

std::string hex(const std::array<uint8_t, 16>& d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(hex(md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(hex(md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(hex(md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(hex(md5("1234567890123456789012345678901234567890123456789012345678901234567890"
                    "1234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

Relabeler compile(std::vector<RelabelConfig> cs) {
  auto r = Relabeler::compile(cs, "relabel_configs");
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(*r) : Relabeler();
}

RelabelConfig rc(RelabelAction a) {
  RelabelConfig c;
  c.action = a;
  return c;
}

std::string apply(const Relabeler& r, const Labels& in) {
  auto out = r.apply(in);
  return out ? out->to_string() : "dropped";
}

TEST(Relabel, ReplaceWithGroupsAndTemplates) {
  RelabelConfig c;
  c.source_labels = {"a", "b"};
  c.regex = "f(.*);(?P<second>.*)";
  c.target_label = "t_${1}";
  c.replacement = "$1-${second}-$$-$2x-$9";
  Relabeler r = compile({c});
  // "$2x" is the (missing) group named "2x": empty, as in Go's regexp.Expand.
  EXPECT_EQ(apply(r, Labels{{"a", "foo"}, {"b", "bar"}}),
            R"({a="foo", b="bar", t_oo="oo-bar-$--"})");
  // The regex is anchored: "xfoo" does not match, nothing changes.
  EXPECT_EQ(apply(r, Labels{{"a", "xfoo"}, {"b", "bar"}}), R"({a="xfoo", b="bar"})");
}

TEST(Relabel, ReplaceDefaultsAndEmptyResultDeletes) {
  RelabelConfig c;
  c.source_labels = {"__address__"};
  c.target_label = "instance";
  Relabeler r = compile({c});
  EXPECT_EQ(apply(r, Labels{{"__address__", "h:1"}}), R"({__address__="h:1", instance="h:1"})");
  RelabelConfig d;
  d.source_labels = {"missing"};
  d.target_label = "x";
  Relabeler r2 = compile({d});
  EXPECT_EQ(apply(r2, Labels{{"x", "1"}, {"y", "2"}}), R"({y="2"})");
  // An expanded target that is not a label name skips the rule.
  RelabelConfig e;
  e.source_labels = {"y"};
  e.regex = "(.*)";
  e.target_label = "$1";
  Relabeler r3 = compile({e});
  EXPECT_EQ(apply(r3, Labels{{"y", "2"}}), R"({y="2"})");
}

TEST(Relabel, KeepDropAndEqual) {
  RelabelConfig keep = rc(RelabelAction::kKeep);
  keep.source_labels = {"__name__"};
  keep.regex = "node_.*";
  Relabeler r = compile({keep});
  EXPECT_EQ(apply(r, Labels{{"__name__", "node_load1"}}), "node_load1{}");
  EXPECT_EQ(apply(r, Labels{{"__name__", "go_gc"}}), "dropped");
  RelabelConfig drop = rc(RelabelAction::kDrop);
  drop.source_labels = {"__name__"};
  drop.regex = "go_.*|process_.*";
  Relabeler r2 = compile({drop});
  EXPECT_EQ(apply(r2, Labels{{"__name__", "process_cpu"}}), "dropped");
  EXPECT_EQ(apply(r2, Labels{{"__name__", "up"}}), "up{}");
  RelabelConfig eq = rc(RelabelAction::kKeepEqual);
  eq.source_labels = {"a"};
  eq.target_label = "b";
  Relabeler r3 = compile({eq});
  EXPECT_EQ(apply(r3, Labels{{"a", "1"}, {"b", "1"}}), R"({a="1", b="1"})");
  EXPECT_EQ(apply(r3, Labels{{"a", "1"}, {"b", "2"}}), "dropped");
  RelabelConfig neq = rc(RelabelAction::kDropEqual);
  neq.source_labels = {"a"};
  neq.target_label = "b";
  EXPECT_EQ(apply(compile({neq}), Labels{{"a", "1"}, {"b", "1"}}), "dropped");
}

TEST(Relabel, HashModAsPrometheus) {
  // Expected: last 8 bytes of md5 as a big-endian integer, mod the modulus.
  RelabelConfig c = rc(RelabelAction::kHashMod);
  c.source_labels = {"a"};
  c.target_label = "shard";
  c.modulus = 1000;
  Relabeler r = compile({c});
  EXPECT_EQ(apply(r, Labels{{"a", "foo"}}), R"({a="foo", shard="696"})");
  c.source_labels = {"a", "b"};
  c.modulus = 10;
  EXPECT_EQ(apply(compile({c}), Labels{{"a", "bar"}, {"b", "baz"}}),
            R"({a="bar", b="baz", shard="2"})");
}

TEST(Relabel, LabelMapDropKeepAndCase) {
  RelabelConfig m = rc(RelabelAction::kLabelMap);
  m.regex = "__meta_(.+)";
  Relabeler r = compile({m});
  EXPECT_EQ(apply(r, Labels{{"__meta_zone", "a"}, {"x", "1"}}),
            R"({__meta_zone="a", x="1", zone="a"})");
  RelabelConfig d = rc(RelabelAction::kLabelDrop);
  d.regex = "__meta_.*|x";
  EXPECT_EQ(apply(compile({m, d}), Labels{{"__meta_zone", "a"}, {"x", "1"}}), R"({zone="a"})");
  RelabelConfig k = rc(RelabelAction::kLabelKeep);
  k.regex = "__name__|job";
  EXPECT_EQ(apply(compile({k}), Labels{{"__name__", "up"}, {"job", "j"}, {"x", "1"}}),
            R"(up{job="j"})");
  RelabelConfig low = rc(RelabelAction::kLowercase);
  low.source_labels = {"a"};
  low.target_label = "b";
  EXPECT_EQ(apply(compile({low}), Labels{{"a", "MiXeD"}}), R"({a="MiXeD", b="mixed"})");
  RelabelConfig up = rc(RelabelAction::kUppercase);
  up.source_labels = {"a"};
  up.target_label = "a";
  EXPECT_EQ(apply(compile({up}), Labels{{"a", "MiXeD"}}), R"({a="MIXED"})");
}

TEST(Relabel, ValidationErrorsNameTheRule) {
  auto err = [](RelabelConfig c) {
    auto r = Relabeler::compile({rc(RelabelAction::kKeep), c}, "scrape_configs[0].relabel_configs");
    return r.ok() ? std::string("ok") : r.status().message();
  };
  RelabelConfig no_target;
  EXPECT_EQ(err(no_target),
            "scrape_configs[0].relabel_configs[1]: relabel configuration for replace action "
            "requires 'target_label' value");
  RelabelConfig hm = rc(RelabelAction::kHashMod);
  hm.target_label = "s";
  EXPECT_NE(err(hm).find("requires non-zero modulus"), std::string::npos);
  RelabelConfig ld = rc(RelabelAction::kLabelDrop);
  ld.source_labels = {"a"};
  EXPECT_NE(err(ld).find("labeldrop action requires only 'regex'"), std::string::npos);
  RelabelConfig bad = rc(RelabelAction::kKeep);
  bad.regex = "(";
  EXPECT_NE(err(bad).find("invalid regex \"(\""), std::string::npos);
  RelabelConfig bad_target;
  bad_target.target_label = "1abc";
  EXPECT_NE(err(bad_target).find("is invalid 'target_label'"), std::string::npos);
  EXPECT_FALSE(parse_relabel_action("explode").ok());
  EXPECT_EQ(*parse_relabel_action("LabelMap"), RelabelAction::kLabelMap);
}

}  // namespace
}  // namespace opsight::collect
