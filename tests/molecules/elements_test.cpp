// Element table and the one-hot vocabulary of a data set.
#include "se3t/data/elements.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "se3t/util/check.h"

namespace se3t {
namespace {

std::string data_path(const std::string& relative) {
  if (const char* env = std::getenv("SE3T_SOURCE_DIR")) return std::string(env) + "/" + relative;
  return std::string(SE3T_SOURCE_DIR) + "/" + relative;
}

TEST(Elements, KnownSymbols) {
  EXPECT_EQ(atomic_number("H"), 1);
  EXPECT_EQ(atomic_number("He"), 2);
  EXPECT_EQ(atomic_number("C"), 6);
  EXPECT_EQ(atomic_number("N"), 7);
  EXPECT_EQ(atomic_number("O"), 8);
  EXPECT_EQ(atomic_number("F"), 9);
  EXPECT_EQ(atomic_number("S"), 16);
  EXPECT_EQ(atomic_number("Cl"), 17);
  EXPECT_EQ(atomic_number("Ar"), 18);
  EXPECT_EQ(atomic_number("Br"), 35);
  EXPECT_EQ(atomic_number("Kr"), 36);
  EXPECT_EQ(atomic_number("I"), 53);
  EXPECT_EQ(atomic_number("Au"), 79);
  EXPECT_EQ(atomic_number("U"), 92);
  EXPECT_EQ(atomic_number("Og"), 118);
}

TEST(Elements, SymbolRoundTrip) {
  for (int z = 1; z <= kNumElements; ++z) {
    EXPECT_EQ(atomic_number(element_symbol(z)), z);
    EXPECT_TRUE(is_element_symbol(element_symbol(z)));
  }
  EXPECT_EQ(element_symbol(26), "Fe");
  EXPECT_THROW(element_symbol(0), Error);
  EXPECT_THROW(element_symbol(119), Error);
  EXPECT_THROW(element_symbol(-1), Error);
}

TEST(Elements, UnknownSymbols) {
  EXPECT_FALSE(is_element_symbol("Xx"));
  EXPECT_FALSE(is_element_symbol("cl"));
  EXPECT_FALSE(is_element_symbol(""));
  EXPECT_THROW(atomic_number("Xx"), Error);
  EXPECT_THROW(atomic_number(""), Error);
  EXPECT_THROW(atomic_number("C "), Error);
  try {
    atomic_number("CL");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("unknown element symbol 'CL'"), std::string::npos) << message;
    EXPECT_NE(message.find("did you mean 'Cl'"), std::string::npos) << message;
  }
}

TEST(Elements, AtomicNumbersOfFrame) {
  Frame f;
  f.species = {"O", "H", "H"};
  EXPECT_EQ(atomic_numbers(f), (std::vector<int>{8, 1, 1}));
  f.species[2] = "D";
  EXPECT_THROW(atomic_numbers(f), Error);
}

TEST(Elements, ElementTypesOfDataSets) {
  EXPECT_EQ(element_types(read_extxyz(data_path("data/qm7/qm7.extxyz"))),
            (std::vector<int>{1, 6, 7, 8, 16}));
  EXPECT_EQ(element_types(read_extxyz(data_path("data/amons-forces/train.extxyz"))),
            (std::vector<int>{1, 6, 7, 8}));
  EXPECT_TRUE(element_types({}).empty());
}

TEST(Elements, ElementTypesNamesTheBadAtom) {
  std::vector<Frame> frames(3);
  frames[0].species = {"C", "H"};
  frames[2].species = {"N", "Q"};
  try {
    element_types(frames);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("frame 2, atom 1: unknown element symbol 'Q'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace se3t
