#include "se3t/so3/clebsch_gordan.h"

#include <ATen/ATen.h>

#include <cmath>
#include <complex>
#include <map>
#include <mutex>
#include <tuple>

#include "se3t/util/check.h"

namespace se3t {

namespace {

using real = long double;
using cplx = std::complex<real>;

real factorial(int64_t n) {
  real f = 1;
  for (int64_t k = 2; k <= n; ++k) f *= static_cast<real>(k);
  return f;
}

// Wigner 3j symbol (j1 j2 j3; m1 m2 m3) by Racah's formula.
real wigner_3j(int64_t j1, int64_t j2, int64_t j3, int64_t m1, int64_t m2, int64_t m3) {
  if (m1 + m2 + m3 != 0) return 0;
  if (std::abs(m1) > j1 || std::abs(m2) > j2 || std::abs(m3) > j3) return 0;
  const real delta = factorial(j1 + j2 - j3) * factorial(j1 - j2 + j3) * factorial(-j1 + j2 + j3) /
                     factorial(j1 + j2 + j3 + 1);
  const real pre = std::sqrt(delta * factorial(j1 + m1) * factorial(j1 - m1) * factorial(j2 + m2) *
                             factorial(j2 - m2) * factorial(j3 + m3) * factorial(j3 - m3));
  const int64_t kmin = std::max<int64_t>({0, j2 - j3 - m1, j1 - j3 + m2});
  const int64_t kmax = std::min<int64_t>({j1 + j2 - j3, j1 - m1, j2 + m2});
  real sum = 0;
  for (int64_t k = kmin; k <= kmax; ++k) {
    const real term = factorial(k) * factorial(j3 - j2 + k + m1) * factorial(j3 - j1 + k - m2) *
                      factorial(j1 + j2 - j3 - k) * factorial(j1 - k - m1) * factorial(j2 - k + m2);
    sum += ((k % 2) ? -1 : 1) / term;
  }
  const int64_t phase_exp = j1 - j2 - m3;
  const real phase = (((phase_exp % 2) + 2) % 2) ? -1 : 1;
  return phase * pre * sum;
}

// U[a][m + l]: real harmonic a (m_real = a - l) as a combination of complex harmonics Y_l^m
// (Condon-Shortley phase), for real harmonics without that phase:
//   m > 0: (  (-1)^m Y^m + Y^-m) / sqrt2,   m < 0: ( (-1)^|m| Y^|m| - Y^-|m| ) / (i sqrt2).
std::vector<std::vector<cplx>> complex_to_real(int64_t l) {
  const int64_t d = 2 * l + 1;
  std::vector<std::vector<cplx>> U(d, std::vector<cplx>(d, 0));
  const real s = 1 / std::sqrt(static_cast<real>(2));
  for (int64_t m = -l; m <= l; ++m) {
    const int64_t a = m + l;
    const int64_t mu = std::abs(m);
    const real sign = (mu % 2) ? -1 : 1;
    if (m == 0) {
      U[a][l] = 1;
    } else if (m > 0) {
      U[a][l + mu] = sign * s;
      U[a][l - mu] = s;
    } else {
      const cplx inv_i(0, -1);  // 1 / i
      U[a][l + mu] = inv_i * sign * s;
      U[a][l - mu] = -inv_i * s;
    }
  }
  return U;
}

at::Tensor compute(int64_t l1, int64_t l2, int64_t l3) {
  const int64_t d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
  const auto U1 = complex_to_real(l1), U2 = complex_to_real(l2), U3 = complex_to_real(l3);
  // The trilinear invariant T(x, y, z) = sum 3j x y z of complex vectors becomes, for real
  // vectors r = U x, T_real[a,b,c] = sum 3j(m1,m2,m3) conj(U1[a,m1] U2[b,m2] U3[c,m3]).
  std::vector<cplx> t(static_cast<size_t>(d1 * d2 * d3), 0);
  for (int64_t m1 = -l1; m1 <= l1; ++m1) {
    for (int64_t m2 = -l2; m2 <= l2; ++m2) {
      const int64_t m3 = -m1 - m2;
      if (std::abs(m3) > l3) continue;
      const real w = wigner_3j(l1, l2, l3, m1, m2, m3);
      if (w == 0) continue;
      for (int64_t a = 0; a < d1; ++a) {
        const cplx u1 = std::conj(U1[a][m1 + l1]);
        if (u1 == cplx(0)) continue;
        for (int64_t b = 0; b < d2; ++b) {
          const cplx u2 = std::conj(U2[b][m2 + l2]);
          if (u2 == cplx(0)) continue;
          for (int64_t c = 0; c < d3; ++c) {
            const cplx u3 = std::conj(U3[c][m3 + l3]);
            if (u3 == cplx(0)) continue;
            t[(a * d2 + b) * d3 + c] += w * u1 * u2 * u3;
          }
        }
      }
    }
  }
  // The result is real or purely imaginary up to rounding (a global phase i^(l1+l2+l3)):
  // keep whichever part carries the tensor, then normalise to Frobenius norm 1.
  real re2 = 0, im2 = 0;
  for (const cplx& v : t) {
    re2 += v.real() * v.real();
    im2 += v.imag() * v.imag();
  }
  const bool use_real = re2 >= im2;
  const real norm = std::sqrt(use_real ? re2 : im2);
  at::Tensor out = at::empty({d1, d2, d3}, at::kDouble);
  double* p = out.data_ptr<double>();
  for (size_t i = 0; i < t.size(); ++i) {
    p[i] = static_cast<double>((use_real ? t[i].real() : t[i].imag()) / norm);
  }
  return out;
}

struct Key {
  int64_t l1, l2, l3;
  int dtype;
  std::string device;
  bool operator<(const Key& o) const {
    return std::tie(l1, l2, l3, dtype, device) < std::tie(o.l1, o.l2, o.l3, o.dtype, o.device);
  }
};

std::mutex cache_mutex;
std::map<Key, at::Tensor> cache;

const at::Tensor& cached(int64_t l1, int64_t l2, int64_t l3, at::ScalarType dtype,
                         const at::Device& device) {
  SE3T_CHECK(l1 >= 0 && l2 >= 0 && l3 >= 0, "clebsch_gordan: degrees must be >= 0, got (", l1, ", ",
             l2, ", ", l3, ")");
  SE3T_CHECK(triangle(l1, l2, l3), "clebsch_gordan: (", l1, ", ", l2, ", ", l3,
             ") violate the triangle rule |l1-l2| <= l3 <= l1+l2: no coupling tensor exists");
  std::lock_guard<std::mutex> lock(cache_mutex);
  const Key key{l1, l2, l3, static_cast<int>(dtype), device.str()};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const Key base{l1, l2, l3, static_cast<int>(at::kDouble), "cpu"};
  auto base_it = cache.find(base);
  if (base_it == cache.end()) base_it = cache.emplace(base, compute(l1, l2, l3)).first;
  if (key.dtype == base.dtype && key.device == base.device) return base_it->second;
  return cache.emplace(key, base_it->second.to(device, dtype)).first->second;
}

}  // namespace

bool triangle(int64_t l1, int64_t l2, int64_t l3) {
  return l1 >= 0 && l2 >= 0 && l3 >= 0 && std::abs(l1 - l2) <= l3 && l3 <= l1 + l2;
}

at::Tensor clebsch_gordan(int64_t l1, int64_t l2, int64_t l3) {
  return cached(l1, l2, l3, at::kDouble, at::Device(at::kCPU)).clone();
}

at::Tensor clebsch_gordan(int64_t l1, int64_t l2, int64_t l3, const at::TensorOptions& options) {
  const auto dtype = options.has_dtype() ? options.dtype().toScalarType() : at::kDouble;
  SE3T_CHECK(dtype == at::kFloat || dtype == at::kDouble,
             "clebsch_gordan: options: expected dtype float32 or float64, got ", dtype);
  const auto device = options.has_device() ? options.device() : at::Device(at::kCPU);
  return cached(l1, l2, l3, dtype, device).clone();
}

}  // namespace se3t
