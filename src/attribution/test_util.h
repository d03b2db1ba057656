// Helpers of the attribution tests: path tables written as rows, and the dense solver the
// fast ones are checked against.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "attribution/paths.h"

namespace attrib::test {

struct Row {
  std::vector<uint32_t> path;
  double conversions = 0, value = 0, nulls = 0;
};

inline PathTable Table(const std::vector<Row>& rows) {
  PathTable t;
  for (const Row& r : rows) t.Add(r.path, PathOutcome{r.conversions, r.value, r.nulls});
  return t;
}

// x = A⁻¹ b by Gaussian elimination with partial pivoting.
inline std::vector<double> DenseSolve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r) {
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    }
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    for (size_t r = col + 1; r < n; ++r) {
      const double f = a[r][col] / a[col][col];
      if (f == 0) continue;
      for (size_t c = col; c < n; ++c) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  std::vector<double> x(n);
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t c = i + 1; c < n; ++c) s -= a[i][c] * x[c];
    x[i] = s / a[i][i];
  }
  return x;
}

}  // namespace attrib::test
