// `se3t export-kim` as a user runs it: its help, the default item name, and clear refusals
// (a non-empty --out, models that are not sums of atomic energies) that leave nothing behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/molecule_testing.h"
#include "common/run_command.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "kim/kim_testing.h"
#include "se3t/kim/portable_model.h"

namespace se3t {
namespace {

class ExportKimCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(testing::se3t_program().c_str(), X_OK) != 0) {
      GTEST_SKIP() << "no se3t program (SE3T_BUILD_APPS off)";
    }
  }
  // A model file of a small sum-pooled model with a cutoff; `mean` its residual mean.
  std::string model_file(const testing::TempDir& dir, const std::string& name, double mean,
                         const std::string& pooling = "sum") {
    MoleculeModel model = testing::kim_ready_model(mean, /*attention=*/false, pooling);
    const std::string path = dir / name;
    save_molecule_model(*model, path);
    return path;
  }
  testing::CommandResult export_kim(const std::vector<std::string>& args) {
    std::vector<std::string> all = {testing::se3t_program(), "export-kim"};
    all.insert(all.end(), args.begin(), args.end());
    return testing::run_command(all, 120);
  }
};

TEST_F(ExportKimCli, HelpSaysHowToInstallAndUse) {
  const auto r = export_kim({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"kim-api-collections-management install", "kim init", "kim interactions",
                           "KIM_API_MODEL_DRIVERS_DIR", kim::kDriverName, "(num_layers + 1) r_c"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
}

TEST_F(ExportKimCli, DefaultNameAndFiles) {
  testing::TempDir tmp("export_kim_cli");
  const std::string model = model_file(tmp, "water-v2.pt", 0.0);
  const auto r = export_kim({"--checkpoint", model, "--out", tmp / "out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"name\": \"SE3T_water_v2__MO_000000000000_000\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"influence_distance\": 9"), std::string::npos) << r.out;
  for (const char* f : {"CMakeLists.txt", kim::kParameterFileName, kim::kModelFileName}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(tmp / ("out/" + std::string(f)))) << f;
  }
  EXPECT_NE(testing::read_text(tmp / "out/CMakeLists.txt")
                .find("project(SE3T_water_v2__MO_000000000000_000)"),
            std::string::npos);
}

TEST_F(ExportKimCli, DefaultNameFromTheOutputDirectoryOrTheModelsDirectory) {
  testing::TempDir tmp("export_kim_cli");
  std::filesystem::create_directory(tmp / "aspirin-xtb");
  const std::string model = model_file(tmp, "aspirin-xtb/model.pt", 0.0);
  const auto named =
      export_kim({"--checkpoint", model, "--out", tmp / "SE3T_asp__MO_000000000000_000"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.out.find("\"name\": \"SE3T_asp__MO_000000000000_000\""), std::string::npos)
      << named.out;
  const auto generic = export_kim({"--checkpoint", model, "--out", tmp / "out"});
  ASSERT_EQ(generic.exit_code, 0) << generic.err;
  EXPECT_NE(generic.out.find("\"name\": \"SE3T_aspirin_xtb__MO_000000000000_000\""),
            std::string::npos)
      << generic.out;
}

TEST_F(ExportKimCli, RefusesClearlyAndLeavesNothing) {
  testing::TempDir tmp("export_kim_cli");
  const std::string good = model_file(tmp, "good.pt", 0.0);
  // A non-empty --out is left as it was.
  std::filesystem::create_directory(tmp / "full");
  { std::ofstream(tmp / "full/keep.txt") << "mine\n"; }
  auto r = export_kim({"--checkpoint", good, "--out", tmp / "full"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.err.find("is not empty"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_text(tmp / "full/keep.txt"), "mine\n");
  EXPECT_FALSE(std::filesystem::exists(tmp / "full/CMakeLists.txt"));

  r = export_kim({"--checkpoint", model_file(tmp, "mean.pt", 0.3), "--out", tmp / "m"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a sum of atomic energies"), std::string::npos) << r.err;
  r = export_kim({"--checkpoint", model_file(tmp, "avg.pt", 0.0, "avg"), "--out", tmp / "a"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("pooling \"avg\""), std::string::npos) << r.err;
  r = export_kim({"--checkpoint", good, "--out", tmp / "n", "--name", "bad-name"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a C identifier"), std::string::npos) << r.err;
  for (const char* d : {"m", "a", "n"}) EXPECT_FALSE(std::filesystem::exists(tmp / d)) << d;
  EXPECT_FALSE(testing::holds_temporary_file(tmp.path()));
}

}  // namespace
}  // namespace se3t
