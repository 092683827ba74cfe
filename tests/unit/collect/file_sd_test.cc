#include "collect/file_sd.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace opsight::collect {
namespace {

TEST(FileSd, ParsesJsonAndYaml) {
  auto g = parse_file_sd(
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}])",
      "/t/a.json");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].targets.size(), 2u);
  EXPECT_EQ((*g)[0].labels.to_string(), R"({__meta_filepath="/t/a.json", env="prod"})");
  EXPECT_EQ((*g)[1].targets[0].get("__address__"), "c:3");
  auto y = parse_file_sd("- targets: [x:1]\n  labels:\n    team: db\n", "/t/b.yml");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ((*y)[0].labels.get("team"), "db");
}

TEST(FileSd, BadFilesAreErrorsNamingTheFile) {
  EXPECT_NE(parse_file_sd("{\"targets\": []}", "f.json")
                .status()
                .message()
                .find("f.json: must be a list of target groups"),
            std::string::npos);
  EXPECT_NE(parse_file_sd("[{\"hosts\": []}]", "f.json")
                .status()
                .message()
                .find("f.json: group 0: unknown key \"hosts\""),
            std::string::npos);
  EXPECT_NE(parse_file_sd("[{\"targets\": [\"http://x/\"]}]", "f.json")
                .status()
                .message()
                .find("is not a valid target address"),
            std::string::npos);
  EXPECT_FALSE(parse_file_sd("[{", "f.json").ok());
}

TEST(FileSd, RereadsOnChangeAndKeepsLastGoodGroups) {
  testing::TempDir dir;
  dir.write("a.json", R"([{"targets": ["a:1"]}])");
  FileSdConfig cfg;
  cfg.files = {dir.file("*.json")};
  cfg.refresh_interval_ms = 1'000'000;
  FileSd sd(cfg);
  EXPECT_TRUE(sd.refresh(1000));
  ASSERT_EQ(sd.groups().size(), 1u);
  EXPECT_FALSE(sd.refresh(2000));  // nothing changed
  dir.write("b.json", R"([{"targets": ["b:1"]}, {"targets": ["b:2"]}])");
  EXPECT_TRUE(sd.refresh(3000));  // a new file matches the glob
  EXPECT_EQ(sd.groups().size(), 3u);
  dir.write("b.json", R"([{"targets": ["b:1")");
  EXPECT_TRUE(sd.refresh(4000));
  EXPECT_EQ(sd.groups().size(), 3u);  // the broken file keeps its last good groups
  EXPECT_NE(sd.last_error().find("b.json"), std::string::npos);
  std::filesystem::remove(dir.file("a.json"));
  EXPECT_TRUE(sd.refresh(5000));
  EXPECT_EQ(sd.groups().size(), 2u);
}

}  // namespace
}  // namespace opsight::collect
