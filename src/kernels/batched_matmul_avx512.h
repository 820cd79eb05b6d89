// The per-edge products of batched_matmul with AVX-512 masked vectors: out[e] = a[e] b[e] with
// a [n, p], b [p, q] per edge, p = 2k + 1 <= 7 (an input degree's orders) and q = nJ (2l + 1)
// (1 to 49 columns). The portable loops of batched_matmul.cpp run an axpy of runtime length q
// per multiply, whose vector tail and loop overhead cost more than the products for these
// widths; here each row of b is held in registers, a masked vector covers a row's tail, and
// four rows of a share the loaded b (docs/design.md, Kernels).
//
// Private to src/kernels; every function needs AVX-512F (supported()) and p in {1, 3, 5, 7}
// (handles(p)). Float32 and float64; sums run over k (forward, dB) and j (dA) in order.
#pragma once
#include <cstdint>

namespace se3t::kernels::avx512 {

// AVX-512F on this CPU, and not switched off by set_enabled(false) (tests run the portable
// loops that AVX2 and older CPUs take that way).
bool supported();
void set_enabled(bool enabled);
bool handles(int64_t p);

// out[e * ld + i * q + j] = sum_k a[e, i, k] b[e, k, j] for e in [begin, end).
void matmul_edges(const float* a, const float* b, float* out, int64_t n, int64_t p, int64_t q,
                  int64_t ld, int64_t begin, int64_t end);
void matmul_edges(const double* a, const double* b, double* out, int64_t n, int64_t p, int64_t q,
                  int64_t ld, int64_t begin, int64_t end);

// da[e] = g[e] b[e]^T and db[e] = a[e]^T g[e] (g rows ld apart; a null output is not needed).
void matmul_edges_backward(const float* a, const float* b, const float* g, float* da, float* db,
                           int64_t n, int64_t p, int64_t q, int64_t ld, int64_t begin, int64_t end);
void matmul_edges_backward(const double* a, const double* b, const double* g, double* da,
                           double* db, int64_t n, int64_t p, int64_t q, int64_t ld, int64_t begin,
                           int64_t end);

}  // namespace se3t::kernels::avx512
