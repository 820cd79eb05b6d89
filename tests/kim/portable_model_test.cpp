// The KIM portable model without KIM: the parameter file's text, the checks that make a model
// a sum of atomic energies, the influence distance, and the directory export-kim writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/expect_error.h"
#include "common/molecule_testing.h"
#include "common/temp_dir.h"
#include "common/testing.h"
#include "kim/kim_testing.h"
#include "se3t/kim/portable_model.h"

namespace se3t {
namespace {

using testing::kim_ready_model;

TEST(KimParameters, RoundTripThroughText) {
  kim::PortableModelParameters p;
  p.species = {"H", "C", "O"};
  p.energy_unit = "eV";
  p.threads = 2;
  const auto q = kim::PortableModelParameters::from_text(p.to_text(), "params");
  EXPECT_EQ(q.species, p.species);
  EXPECT_EQ(q.energy_unit, "eV");
  EXPECT_EQ(q.threads, 2);
  EXPECT_EQ(q.model_file, kim::kModelFileName);
}

TEST(KimParameters, RejectsBadText) {
  using kim::PortableModelParameters;
  testing::expect_error(
      [] { PortableModelParameters::from_text("species = H Xx\nenergy_unit = eV", "p"); },
      {"p", "species 'Xx' is not an element symbol"});
  testing::expect_error(
      [] { PortableModelParameters::from_text("species = H\nenergy_unit = erg", "p"); }, {"erg"});
  testing::expect_error(
      [] {
        PortableModelParameters::from_text("species = H\nenergy_unit = eV\ncolour = red", "p");
      },
      {"p", "unknown key 'colour'"});
  testing::expect_error([] { PortableModelParameters::from_text("energy_unit = eV", "p"); },
                        {"species"});
  testing::expect_error(
      [] { PortableModelParameters::from_text("species = H\nenergy_unit = eV\nthreads = 0", "p"); },
      {"threads must be >= 1"});
}

TEST(KimModel, InfluenceDistanceCountsTheFinalConvolution) {
  MoleculeModelOptions o;
  o.cutoff = 3.5;
  o.backbone.num_layers = 2;
  EXPECT_DOUBLE_EQ(kim::influence_distance(o), 3 * 3.5);
}

TEST(KimModel, RefusesModelsThatAreNotSumsOfAtomicEnergies) {
  MoleculeModel ok = kim_ready_model();
  kim::check_kim_model(*ok, "m");
  // 1e-6 std is the bound: round-off means pass, a real per-structure constant does not.
  MoleculeModel tiny_mean = kim_ready_model(1e-9);
  kim::check_kim_model(*tiny_mean, "m");
  MoleculeModel mean = kim_ready_model(0.5);
  testing::expect_error([&] { kim::check_kim_model(*mean, "m"); },
                        {"residual mean 0.5", "not a sum of atomic energies"});

  const auto mols = testing::random_molecules(3, 4);
  MoleculeModelOptions o = testing::small_options(/*attention=*/false, "avg");
  o.cutoff = 3.0;
  MoleculeModel avg = testing::make_model(mols, o);
  testing::expect_error([&] { kim::check_kim_model(*avg, "m"); }, {"pooling \"avg\""});
  MoleculeModel dense = testing::make_model(mols, testing::small_options(false, "sum"));
  testing::expect_error([&] { kim::check_kim_model(*dense, "m"); }, {"fully connected"});
}

TEST(KimModel, ItemNamesAreCIdentifiers) {
  kim::check_item_name("SE3T_water__MO_000000000000_000");
  kim::check_item_name(kim::kDriverName);
  testing::expect_error([] { kim::check_item_name("9lives"); }, {"not a C identifier"});
  testing::expect_error([] { kim::check_item_name("a-b"); }, {"not a C identifier"});
  testing::expect_error([] { kim::check_item_name(""); }, {"not a C identifier"});
}

TEST(KimExport, WritesThePortableModelDirectory) {
  testing::TempDir tmp("kim_export");
  MoleculeModel model = kim_ready_model();
  const std::string dir = tmp / "SE3T_w__MO_000000000000_000";
  kim::write_portable_model(*model, dir, "SE3T_w__MO_000000000000_000", "kcal/mol");
  const std::string cmake = testing::read_text(dir + "/CMakeLists.txt");
  EXPECT_NE(cmake.find("add_kim_api_model_library"), std::string::npos);
  EXPECT_NE(cmake.find(std::string("DRIVER_NAME     \"") + kim::kDriverName + "\""),
            std::string::npos);
  EXPECT_NE(cmake.find("project(SE3T_w__MO_000000000000_000)"), std::string::npos);
  const auto p = kim::PortableModelParameters::from_text(
      testing::read_text(dir + "/" + kim::kParameterFileName), "params");
  EXPECT_EQ(p.species, (std::vector<std::string>{"H", "O"}));
  EXPECT_EQ(p.energy_unit, "kcal/mol");
  // The model file loads back with the same predictions.
  MoleculeModel back = load_molecule_model(dir + "/" + kim::kModelFileName);
  EXPECT_EQ(back->options().to_text(), model->options().to_text());
  EXPECT_EQ(back->stats().to_text(), model->stats().to_text());
  EXPECT_FALSE(testing::holds_temporary_file(tmp.path()));

  // Never into a non-empty directory; an empty one is fine.
  testing::expect_error(
      [&] { kim::write_portable_model(*model, dir, "SE3T_w__MO_000000000000_000", "eV"); },
      {"is not empty"});
  const std::string empty = tmp / "empty";
  std::filesystem::create_directory(empty);
  kim::write_portable_model(*model, empty, "SE3T_e__MO_000000000000_000", "eV");
  EXPECT_TRUE(std::filesystem::exists(empty + "/" + kim::kModelFileName));

  MoleculeModel mean = kim_ready_model(1.0);
  testing::expect_error(
      [&] { kim::write_portable_model(*mean, tmp / "m", "SE3T_m__MO_000000000000_000", "eV"); },
      {"not a sum of atomic energies"});
  EXPECT_FALSE(std::filesystem::exists(tmp / "m"));
}

}  // namespace
}  // namespace se3t
