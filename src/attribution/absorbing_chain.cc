#include "attribution/absorbing_chain.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace attrib {
namespace {

// GMRES stops when the residual is this small relative to the right-hand side (a unit
// vector): far below the 1e-9 the results are checked to, near the limit of double precision.
constexpr double kTolerance = 1e-13;
// Krylov vectors kept before a restart (fewer when there are fewer states), and restarts
// allowed. The chains of journey data converge in a few dozen iterations.
constexpr int kRestart = 80;
constexpr int kMaxRestarts = 200;

double Dot(std::span<const double> a, std::span<const double> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

AbsorbingChain::AbsorbingChain(uint32_t state_count, std::span<const Step> steps,
                               std::vector<double> reward, std::vector<double> value)
    : n_(state_count), reward_(std::move(reward)), value_(std::move(value)) {
  assert(reward_.size() == n_ && value_.size() == n_);
  std::vector<double> stay(n_, 0.0);
  row_begin_.assign(n_ + 1, 0);
  for (const Step& s : steps) {
    if (s.from == s.to) {
      stay[s.from] = s.probability;
    } else {
      ++row_begin_[s.from + 1];
    }
  }
  for (uint32_t s = 0; s < n_; ++s) row_begin_[s + 1] += row_begin_[s];
  column_.resize(row_begin_[n_]);
  probability_.resize(row_begin_[n_]);
  std::vector<uint64_t> next(row_begin_.begin(), row_begin_.end() - 1);
  // A self-loop only delays what happens next: leaving s is the rest of its row, scaled by
  // 1 / (1 − stay). The unknowns then count stays once, and the matrix has a unit diagonal.
  for (const Step& s : steps) {
    if (s.from == s.to) continue;
    const uint64_t k = next[s.from]++;
    column_[k] = s.to;
    probability_[k] = s.probability / (1.0 - stay[s.from]);
  }
  for (uint32_t s = 0; s < n_; ++s) {
    reward_[s] /= 1.0 - stay[s];
    value_[s] /= 1.0 - stay[s];
  }
}

void AbsorbingChain::Apply(std::span<const double> v, const std::vector<bool>& removed,
                           std::span<double> out) const {
  std::copy(v.begin(), v.end(), out.begin());
  for (uint32_t s = 0; s < n_; ++s) {
    const double vs = v[s];
    if (vs == 0) continue;
    for (uint64_t k = row_begin_[s]; k < row_begin_[s + 1]; ++k) {
      out[column_[k]] -= probability_[k] * vs;
    }
  }
  if (!removed.empty()) {
    for (uint32_t s = 0; s < n_; ++s) {
      if (removed[s]) out[s] = 0;
    }
  }
}

// The expected visits n of each state, starting in `entry`, solve (I − Qᵀ) n = e_entry, with
// n = 0 on removed states. Restarted GMRES (Saad & Schultz 1986) with modified Gram–Schmidt
// and Givens rotations; it starts from the unrestricted solution, which differs from a
// restricted one only downstream of the removed states.
Result<AbsorbingChain::Outcome> AbsorbingChain::Solve(uint32_t entry,
                                                      const std::vector<bool>& removed) {
  assert(entry < n_ && (removed.empty() || !removed[entry]));
  const size_t n = n_;
  std::vector<double> b(n, 0.0);
  b[entry] = 1.0;
  std::vector<double> x(n, 0.0);
  if (visits_entry_ == entry) {
    x = visits_;
    for (size_t s = 0; s < n && !removed.empty(); ++s) {
      if (removed[s]) x[s] = 0;
    }
  }
  const int m = static_cast<int>(std::min<size_t>(kRestart, n));
  std::vector<double> basis(static_cast<size_t>(m + 1) * n);
  const auto vec = [&](int i) { return std::span<double>(basis.data() + i * n, n); };
  std::vector<double> h(static_cast<size_t>(m + 1) * m), cs(m), sn(m), g(m + 1), y(m);
  const auto H = [&](int i, int j) -> double& { return h[static_cast<size_t>(i) * m + j]; };
  std::vector<double> r(n);
  bool converged = false;
  for (int restart = 0; restart <= kMaxRestarts && !converged; ++restart) {
    Apply(x, removed, r);
    for (size_t i = 0; i < n; ++i) r[i] = b[i] - r[i];
    const double beta = std::sqrt(Dot(r, r));
    if (beta <= kTolerance) {
      converged = true;
      break;
    }
    if (restart == kMaxRestarts) break;
    for (size_t i = 0; i < n; ++i) vec(0)[i] = r[i] / beta;
    std::fill(g.begin(), g.end(), 0.0);
    g[0] = beta;
    int k = 0;  // columns of H built
    for (int j = 0; j < m; ++j) {
      const std::span<double> w = vec(j + 1);
      Apply(vec(j), removed, w);
      for (int i = 0; i <= j; ++i) {
        H(i, j) = Dot(w, vec(i));
        const std::span<double> vi = vec(i);
        for (size_t t = 0; t < n; ++t) w[t] -= H(i, j) * vi[t];
      }
      const double norm = std::sqrt(Dot(w, w));
      H(j + 1, j) = norm;
      if (norm > 0) {
        for (double& t : w) t /= norm;
      }
      for (int i = 0; i < j; ++i) {  // the earlier rotations, on the new column
        const double a = H(i, j), c = H(i + 1, j);
        H(i, j) = cs[i] * a + sn[i] * c;
        H(i + 1, j) = -sn[i] * a + cs[i] * c;
      }
      const double rho = std::hypot(H(j, j), H(j + 1, j));
      if (rho == 0) break;  // cannot happen for a chain that is absorbed; never divide by 0
      cs[j] = H(j, j) / rho;
      sn[j] = H(j + 1, j) / rho;
      H(j, j) = rho;
      H(j + 1, j) = 0;
      g[j + 1] = -sn[j] * g[j];
      g[j] *= cs[j];
      k = j + 1;
      if (std::abs(g[j + 1]) <= kTolerance || norm == 0) break;
    }
    for (int i = k - 1; i >= 0; --i) {  // H y = g, H upper triangular
      double s = g[i];
      for (int j = i + 1; j < k; ++j) s -= H(i, j) * y[j];
      y[i] = s / H(i, i);
    }
    for (int i = 0; i < k; ++i) {
      const std::span<double> vi = vec(i);
      for (size_t t = 0; t < n; ++t) x[t] += y[i] * vi[t];
    }
  }
  if (!converged) {
    return Status::Internal("the Markov chain's linear solve did not converge");
  }
  Outcome out;
  for (size_t s = 0; s < n; ++s) {
    if (!removed.empty() && removed[s]) continue;
    out.reward += x[s] * reward_[s];
    out.value += x[s] * value_[s];
  }
  if (removed.empty()) {
    visits_ = std::move(x);
    visits_entry_ = entry;
  }
  return out;
}

}  // namespace attrib
