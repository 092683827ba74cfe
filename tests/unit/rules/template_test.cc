// Alert templates: the Go text/template subset and Prometheus's humanize functions. Expected
// strings are what Prometheus 2.42 renders for the same template and data.
#include "rules/template.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace opsight::rules {
namespace {

class TemplateTest : public ::testing::Test {
 protected:
  std::string expand(std::string_view text, double value = 0) {
    auto t = Template::parse(text, "t");
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    if (!t.ok()) return "<parse error>";
    TemplateData d{&labels_, &external_, "http://opsight:4318", value};
    auto r = t->expand(d);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : "<error>";
  }
  Status parse_error(std::string_view text) { return Template::parse(text, "t").status(); }

  Labels labels_{{"__name__", "up"}, {"instance", "host:9100"}, {"job", "node"}};
  Labels external_{{"cluster", "eu1"}};
};

TEST_F(TemplateTest, PlainTextIsUnchanged) {
  auto t = Template::parse("no actions here");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->is_plain());
  EXPECT_EQ(expand("no actions here"), "no actions here");
  EXPECT_EQ(expand(""), "");
}

TEST_F(TemplateTest, Variables) {
  EXPECT_EQ(expand("{{ $labels.instance }} of {{ $labels.job }}"), "host:9100 of node");
  EXPECT_EQ(expand("{{ .Labels.job }}/{{ .ExternalLabels.cluster }}"), "node/eu1");
  EXPECT_EQ(expand("{{ $externalLabels.cluster }} {{ $externalURL }}"), "eu1 http://opsight:4318");
  EXPECT_EQ(expand("{{$value}}", 0.5), "0.5");
  EXPECT_EQ(expand("{{ .Value }}", 3), "3");
  // A missing label is empty (missingkey=zero).
  EXPECT_EQ(expand("[{{ $labels.nope }}]"), "[]");
  EXPECT_EQ(expand("{{ $labels.__name__ }}"), "up");
}

TEST_F(TemplateTest, FloatsPrintLikeGo) {
  EXPECT_EQ(expand("{{ $value }}", 1e6), "1e+06");
  EXPECT_EQ(expand("{{ $value }}", 123456), "123456");
  EXPECT_EQ(expand("{{ $value }}", 1234567), "1.234567e+06");
  EXPECT_EQ(expand("{{ $value }}", 0.0001), "0.0001");
  EXPECT_EQ(expand("{{ $value }}", 0.00001), "1e-05");
  EXPECT_EQ(expand("{{ $value }}", std::nan("")), "NaN");
  EXPECT_EQ(expand("{{ $value }}", -std::numeric_limits<double>::infinity()), "-Inf");
}

TEST_F(TemplateTest, Humanize) {
  EXPECT_EQ(expand("{{ humanize $value }}", 1234567), "1.235M");
  EXPECT_EQ(expand("{{ $value | humanize }}", 0.0012), "1.2m");
  EXPECT_EQ(expand("{{ humanize 0 }}"), "0");
  EXPECT_EQ(expand("{{ humanize1024 $value }}", 1048576), "1Mi");
  EXPECT_EQ(expand("{{ humanizePercentage $value }}", 0.1234), "12.34%");
  EXPECT_EQ(expand("{{ humanizeDuration $value }}", 90061), "1d 1h 1m 1s");
  EXPECT_EQ(expand("{{ humanizeDuration $value }}", 65), "1m 5s");
  EXPECT_EQ(expand("{{ humanizeDuration $value }}", 1.5), "1.5s");
  EXPECT_EQ(expand("{{ humanizeDuration $value }}", 0.25), "250ms");
  EXPECT_EQ(expand("{{ humanizeDuration $value }}", 0), "0s");
  EXPECT_EQ(expand("{{ humanizeTimestamp $value }}", 1435065584.128),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(expand("{{ humanize \"2048\" }}"), "2.048k");
}

TEST_F(TemplateTest, Printf) {
  EXPECT_EQ(expand("{{ printf \"%.2f\" $value }}", 3.14159), "3.14");
  EXPECT_EQ(expand("{{ printf \"%s is %.1f%%\" $labels.job $value }}", 99.5), "node is 99.5%");
  EXPECT_EQ(expand("{{ printf \"%5.1f|%-4s|%d\" $value \"ab\" 42 }}", 2), "  2.0|ab  |42");
  EXPECT_EQ(expand("{{ printf \"%v %g\" $value $value }}", 0.5), "0.5 0.5");
  EXPECT_EQ(expand("{{ printf \"%q\" $labels.job }}"), "\"node\"");
  EXPECT_EQ(expand("{{ printf \"%d\" $value }}", 1.5), "%!d(float64=1.5)");
  EXPECT_EQ(expand("{{ printf \"%s %s\" \"a\" }}"), "a %!s(MISSING)");
  EXPECT_EQ(expand("{{ $value | printf \"%.0f\" }}", 7.6), "8");
}

TEST_F(TemplateTest, IfElse) {
  const char* t =
      "{{ if gt $value 0.9 }}critical{{ else if gt $value 0.5 }}warning{{ else }}ok{{ end }}";
  EXPECT_EQ(expand(t, 0.95), "critical");
  EXPECT_EQ(expand(t, 0.6), "warning");
  EXPECT_EQ(expand(t, 0.1), "ok");
  EXPECT_EQ(expand("{{ if eq $labels.job \"node\" }}yes{{ end }}"), "yes");
  EXPECT_EQ(expand("{{ if ne $labels.job \"node\" }}yes{{ end }}"), "");
  EXPECT_EQ(expand("{{ if lt $value 10 }}small{{ end }}", 3), "small");
  EXPECT_EQ(expand("{{ if $labels.nope }}set{{ else }}unset{{ end }}"), "unset");
  EXPECT_EQ(expand("{{ if and (gt $value 1.0) (lt $value 5.0) }}in{{ end }}", 2), "in");
  EXPECT_EQ(expand("{{ if not (eq $labels.job \"x\" \"node\") }}a{{ else }}b{{ end }}"), "b");
  EXPECT_EQ(expand("{{ if gt $value 1.0 }}{{ if gt $value 2.0 }}big{{ end }}!{{ end }}", 3),
            "big!");
}

TEST_F(TemplateTest, TrimMarkersAndComments) {
  EXPECT_EQ(expand("a  {{- $labels.job -}}  b"), "anodeb");
  EXPECT_EQ(expand("x{{/* a comment */}}y"), "xy");
  EXPECT_EQ(expand("{{ \"}}\" }}"), "}}");
  EXPECT_EQ(expand("{{ `raw {{` }}"), "raw {{");
}

TEST_F(TemplateTest, StringFunctions) {
  EXPECT_EQ(expand("{{ $labels.instance | stripPort }}"), "host");
  EXPECT_EQ(expand("{{ toUpper $labels.job }} {{ title \"hello world\" }}"), "NODE Hello World");
  EXPECT_EQ(expand("{{ reReplaceAll \"(.*):(.*)\" \"$2@$1\" $labels.instance }}"), "9100@host");
  EXPECT_EQ(expand("{{ if match \"^host\" $labels.instance }}m{{ end }}"), "m");
  EXPECT_EQ(expand("{{ len $labels }}"), "3");
  EXPECT_EQ(expand("{{ index $labels \"job\" }}"), "node");
  EXPECT_EQ(expand("{{ urlquery \"a b&c\" }}"), "a+b%26c");
}

TEST_F(TemplateTest, LoadTimeErrors) {
  Status st = parse_error("{{ humanise $value }}");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("function \"humanise\" not defined"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("template t"), std::string::npos);
  EXPECT_NE(parse_error("{{ $lables.job }}").message().find("undefined variable \"$lables\""),
            std::string::npos);
  EXPECT_FALSE(parse_error("{{ if $value }}x").ok());  // missing end
  EXPECT_FALSE(parse_error("{{ end }}").ok());         // unexpected end
  EXPECT_FALSE(parse_error("{{ $labels.job ").ok());   // unclosed action
  EXPECT_FALSE(parse_error("{{ \"abc }}").ok());       // unterminated string
  EXPECT_FALSE(parse_error("{{ range $labels }}{{ end }}").ok());
  EXPECT_FALSE(parse_error("{{ $x := 1 }}").ok());
  EXPECT_FALSE(parse_error("{{ (humanize $value }}").ok());
}

TEST_F(TemplateTest, ExpansionErrorsAreRendered) {
  auto t = Template::parse("{{ humanize $labels }}", "summary");
  ASSERT_TRUE(t.ok());
  TemplateData d{&labels_, &external_, "", 1};
  EXPECT_FALSE(t->expand(d).ok());
  std::string s = t->expand_or_error(d);
  EXPECT_EQ(s.rfind("<error expanding template: ", 0), 0u) << s;
  auto bad_cmp = Template::parse("{{ if gt $labels.job 1.0 }}x{{ end }}");
  ASSERT_TRUE(bad_cmp.ok());
  EXPECT_FALSE(bad_cmp->expand(d).ok());
}

}  // namespace
}  // namespace opsight::rules
