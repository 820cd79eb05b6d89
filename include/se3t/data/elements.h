// Chemical elements: symbol <-> atomic number and standard atomic masses for the whole
// periodic table (H .. Og).
// Plain C++17, no LibTorch.
#pragma once
#include <string>
#include <vector>

#include "se3t/data/extxyz.h"

namespace se3t {

constexpr int kNumElements = 118;

// Atomic number of a symbol ("C" -> 6). Symbols are case-sensitive ("Cl", not "CL" or "cl");
// throws se3t::Error for anything else, suggesting the right spelling when there is one.
int atomic_number(const std::string& symbol);

// Whether `symbol` is an element symbol (exact case).
bool is_element_symbol(const std::string& symbol);

// Symbol of an atomic number in [1, 118]; throws se3t::Error otherwise.
const std::string& element_symbol(int atomic_number);

// Standard atomic weight in atomic mass units (amu, Da): the IUPAC 2016 conventional values
// (Meija et al., Pure Appl. Chem. 88, 265 (2016)); for an element without stable isotopes the
// mass of its longest-lived isotope. Throws se3t::Error outside [1, 118].
double atomic_mass(int atomic_number);

// Atomic numbers of a frame's atoms, in order.
std::vector<int> atomic_numbers(const Frame& frame);

// Sorted distinct atomic numbers occurring in a data set (the one-hot vocabulary, e.g.
// {1, 6, 7, 8, 16} for QM7). Errors name the frame and atom of an unknown symbol.
std::vector<int> element_types(const std::vector<Frame>& frames);

}  // namespace se3t
