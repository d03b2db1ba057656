#include "attribution/absorbing_chain.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace attrib {
namespace {

// GMRES stops when the residual is this small: far below the 1e-9 the results are checked to,
// near the limit of double precision.
constexpr double kTolerance = 1e-13;
// Krylov vectors kept before a restart (fewer when the component is smaller), and restarts
// allowed. The large cycles of journey data converge in a dozen iterations.
constexpr int kRestart = 100;
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
  FindComponents();
}

// Tarjan's algorithm (1972), without recursion: components come out sinks first, so they are
// stored in the reverse order of their discovery.
void AbsorbingChain::FindComponents() {
  constexpr uint32_t kUnseen = UINT32_MAX;
  std::vector<uint32_t> index(n_, kUnseen), low(n_), stack, found, found_begin = {0};
  std::vector<bool> on_stack(n_, false);
  std::vector<std::pair<uint32_t, uint64_t>> calls;  // state, its next step to look at
  uint32_t next = 0;
  const auto visit = [&](uint32_t s) {
    index[s] = low[s] = next++;
    stack.push_back(s);
    on_stack[s] = true;
    calls.emplace_back(s, row_begin_[s]);
  };
  for (uint32_t root = 0; root < n_; ++root) {
    if (index[root] != kUnseen) continue;
    visit(root);
    while (!calls.empty()) {
      const uint32_t s = calls.back().first;
      if (calls.back().second < row_begin_[s + 1]) {
        const uint32_t t = column_[calls.back().second++];
        if (index[t] == kUnseen) {
          visit(t);
        } else if (on_stack[t]) {
          low[s] = std::min(low[s], index[t]);
        }
        continue;
      }
      calls.pop_back();
      if (!calls.empty()) low[calls.back().first] = std::min(low[calls.back().first], low[s]);
      if (low[s] != index[s]) continue;
      uint32_t t;
      do {
        t = stack.back();
        stack.pop_back();
        on_stack[t] = false;
        found.push_back(t);
      } while (t != s);
      found_begin.push_back(static_cast<uint32_t>(found.size()));
    }
  }
  const size_t count = found_begin.size() - 1;
  component_of_.resize(n_);
  component_begin_ = {0};
  for (size_t i = count; i-- > 0;) {
    const auto c = static_cast<uint32_t>(component_begin_.size() - 1);
    for (uint32_t k = found_begin[i]; k < found_begin[i + 1]; ++k) {
      members_.push_back(found[k]);
      component_of_[found[k]] = c;
    }
    component_begin_.push_back(static_cast<uint32_t>(members_.size()));
  }
}

std::vector<double> AbsorbingChain::SelfVisits() {
  std::vector<double> self(n_, 1.0);
  for (uint32_t c = 0; c + 1 < component_begin_.size(); ++c) {
    if (component_begin_[c + 1] - component_begin_[c] > 1 && !SelfVisitsOfComponent(c, self)) {
      for (uint32_t k = component_begin_[c]; k < component_begin_[c + 1]; ++k) {
        self[members_[k]] = 0;
      }
    }
  }
  return self;
}

// A cut F of the component's states leaves the rest, D, without a cycle: the targets of a
// depth-first search's back edges (every other step goes to a state finished earlier). With
//   α(s, f) = P(from s ∈ D, the first state of F reached is f)   (s is not met again on the way)
//   β(g, s) = P(from g ∈ F, s is reached before F is again)
//   T(g, f) = P(from g ∈ F, the next state of F reached is f),  M = (I − T)⁻¹,
// each later visit to s ∈ D is made by one excursion from F, which meets s at most once:
//   N(s, s) = 1 + Σ_f Σ_g α(s, f) M(f, g) β(g, s),  and N(f, f) = M(f, f) for f ∈ F.
// O(|F| · steps + |F|³ + |D| · |F|²), against a solve per state.
bool AbsorbingChain::SelfVisitsOfComponent(uint32_t c, std::vector<double>& self) {
  const std::span<const uint32_t> states(members_.data() + component_begin_[c],
                                         component_begin_[c + 1] - component_begin_[c]);
  const auto n = static_cast<uint32_t>(states.size());
  if (local_.size() != n_) local_.resize(n_);
  for (uint32_t i = 0; i < n; ++i) local_[states[i]] = i;
  std::vector<uint32_t> begin = {0}, to;  // the steps within the component, local indexes
  std::vector<double> p;
  std::vector<uint64_t> in(n, 0);
  for (const uint32_t s : states) {
    for (uint64_t e = row_begin_[s]; e < row_begin_[s + 1]; ++e) {
      if (component_of_[column_[e]] != c) continue;
      to.push_back(local_[column_[e]]);
      p.push_back(probability_[e]);
      ++in[to.back()];
    }
    begin.push_back(static_cast<uint32_t>(to.size()));
  }

  // The search starts from the busiest states, so that the few hubs take the back edges.
  std::vector<uint32_t> roots(n);
  for (uint32_t i = 0; i < n; ++i) roots[i] = i;
  std::stable_sort(roots.begin(), roots.end(), [&](uint32_t a, uint32_t b) {
    return in[a] * (begin[a + 1] - begin[a]) > in[b] * (begin[b + 1] - begin[b]);
  });
  enum : uint8_t { kUnseen, kOpen, kDone };
  std::vector<uint8_t> mark(n, kUnseen);
  constexpr uint32_t kInD = UINT32_MAX;
  std::vector<uint32_t> cut(n, kInD);  // index in F
  std::vector<uint32_t> finished, f_states;
  std::vector<std::pair<uint32_t, uint32_t>> stack;  // state, its next step to look at
  for (const uint32_t root : roots) {
    if (mark[root] != kUnseen) continue;
    mark[root] = kOpen;
    stack.emplace_back(root, begin[root]);
    while (!stack.empty()) {
      const uint32_t s = stack.back().first;
      if (stack.back().second < begin[s + 1]) {
        const uint32_t t = to[stack.back().second++];
        if (mark[t] == kUnseen) {
          mark[t] = kOpen;
          stack.emplace_back(t, begin[t]);
        } else if (mark[t] == kOpen && cut[t] == kInD) {
          cut[t] = static_cast<uint32_t>(f_states.size());
          f_states.push_back(t);
        }
        continue;
      }
      mark[s] = kDone;
      finished.push_back(s);
      stack.pop_back();
    }
  }
  const size_t m = f_states.size();
  std::vector<uint32_t> d, d_index(n);  // D, sinks first: steps within D go to earlier ones
  for (const uint32_t s : finished) {
    if (cut[s] != kInD) continue;
    d_index[s] = static_cast<uint32_t>(d.size());
    d.push_back(s);
  }
  constexpr size_t kMaxTerms = size_t{1} << 22;  // α and β: 32 MiB each at most
  if (m > kDenseLimit || d.size() * m > kMaxTerms) return false;

  std::vector<double> alpha(d.size() * m, 0.0), beta(d.size() * m, 0.0), t(m * m, 0.0);
  for (size_t i = 0; i < d.size(); ++i) {  // sinks first: what each step leads to is known
    double* a = &alpha[i * m];
    for (uint32_t e = begin[d[i]]; e < begin[d[i] + 1]; ++e) {
      if (cut[to[e]] != kInD) {
        a[cut[to[e]]] += p[e];
        continue;
      }
      const double* next = &alpha[d_index[to[e]] * m];
      for (size_t f = 0; f < m; ++f) a[f] += p[e] * next[f];
    }
  }
  std::vector<double> reach(d.size());
  for (size_t g = 0; g < m; ++g) {
    std::fill(reach.begin(), reach.end(), 0.0);
    const auto step = [&](uint32_t s, double w) {
      for (uint32_t e = begin[s]; e < begin[s + 1]; ++e) {
        if (cut[to[e]] != kInD) {
          t[g * m + cut[to[e]]] += w * p[e];
        } else {
          reach[d_index[to[e]]] += w * p[e];
        }
      }
    };
    step(f_states[g], 1.0);
    for (size_t i = d.size(); i-- > 0;) {  // sources first
      if (reach[i] == 0) continue;
      beta[i * m + g] = reach[i];
      step(d[i], reach[i]);
    }
  }

  // M = (I − T)⁻¹ by Gauss–Jordan elimination with partial pivoting.
  std::vector<double> a(m * m), inverse(m * m, 0.0);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < m; ++j) a[i * m + j] = (i == j ? 1.0 : 0.0) - t[i * m + j];
    inverse[i * m + i] = 1.0;
  }
  for (size_t col = 0; col < m; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < m; ++r) {
      if (std::abs(a[r * m + col]) > std::abs(a[pivot * m + col])) pivot = r;
    }
    if (a[pivot * m + col] == 0) return false;
    if (pivot != col) {
      std::swap_ranges(a.begin() + col * m, a.begin() + (col + 1) * m, a.begin() + pivot * m);
      std::swap_ranges(inverse.begin() + col * m, inverse.begin() + (col + 1) * m,
                       inverse.begin() + pivot * m);
    }
    const double scale = 1.0 / a[col * m + col];
    for (size_t j = 0; j < m; ++j) {
      a[col * m + j] *= scale;
      inverse[col * m + j] *= scale;
    }
    for (size_t r = 0; r < m; ++r) {
      const double f = a[r * m + col];
      if (r == col || f == 0) continue;
      for (size_t j = 0; j < m; ++j) {
        a[r * m + j] -= f * a[col * m + j];
        inverse[r * m + j] -= f * inverse[col * m + j];
      }
    }
  }

  for (size_t f = 0; f < m; ++f) self[states[f_states[f]]] = inverse[f * m + f];
  for (size_t i = 0; i < d.size(); ++i) {
    const double* b = &beta[i * m];
    double x = 0;
    for (size_t f = 0; f < m; ++f) {
      const double* row = &inverse[f * m];
      double mb = 0;  // (M β(·, s))(f)
      for (size_t g = 0; g < m; ++g) mb += row[g] * b[g];
      x += alpha[i * m + f] * mb;
    }
    self[states[d[i]]] = 1.0 + x;
  }
  return true;
}

// The expected visits n of each state, starting in `entry`, solve (I − Qᵀ) n = e_entry, with
// n = 0 on removed states: component by component, each from the visits flowing into it.
Result<AbsorbingChain::Outcome> AbsorbingChain::Solve(uint32_t entry,
                                                      const std::vector<bool>& removed) {
  assert(entry < n_ && Kept(entry, removed));
  std::vector<double> visits(n_, 0.0), inflow(n_, 0.0);
  inflow[entry] = 1.0;
  const auto components = static_cast<uint32_t>(component_begin_.size() - 1);
  const auto flow_out = [&](uint32_t c) {  // visits of c's states into later components
    for (uint32_t k = component_begin_[c]; k < component_begin_[c + 1]; ++k) {
      const uint32_t s = members_[k];
      if (visits[s] == 0) continue;
      for (uint64_t e = row_begin_[s]; e < row_begin_[s + 1]; ++e) {
        const uint32_t t = column_[e];
        if (component_of_[t] != c && Kept(t, removed)) inflow[t] += probability_[e] * visits[s];
      }
    }
  };
  uint32_t first = 0;
  if (!removed.empty() && visits_entry_ == entry) {
    // The components before the first with a removed state are downstream of none: their
    // visits are the unrestricted ones.
    for (bool clean = true; clean && first < components;) {
      for (uint32_t k = component_begin_[first]; k < component_begin_[first + 1]; ++k) {
        clean = clean && !removed[members_[k]];
      }
      if (!clean) break;
      for (uint32_t k = component_begin_[first]; k < component_begin_[first + 1]; ++k) {
        visits[members_[k]] = visits_[members_[k]];
      }
      flow_out(first++);
    }
  }
  for (uint32_t c = first; c < components; ++c) {
    ATTRIB_RETURN_IF_ERROR(SolveComponent(c, removed, inflow, visits));
    flow_out(c);
  }
  Outcome out;
  for (uint32_t s = 0; s < n_; ++s) {
    out.reward += visits[s] * reward_[s];
    out.value += visits[s] * value_[s];
  }
  if (removed.empty()) {
    visits_ = std::move(visits);
    visits_entry_ = entry;
  }
  return out;
}

Status AbsorbingChain::SolveFromEach(std::vector<double>* reward, std::vector<double>* value) {
  transposed_ = true;
  const auto components = static_cast<uint32_t>(component_begin_.size() - 1);
  for (auto [own, out] : {std::pair{&reward_, reward}, std::pair{&value_, value}}) {
    out->assign(n_, 0.0);
    std::vector<double> b(*own);
    for (uint32_t c = components; c-- > 0;) {  // sinks first: what c leads to is known
      for (uint32_t k = component_begin_[c]; k < component_begin_[c + 1]; ++k) {
        const uint32_t s = members_[k];
        for (uint64_t e = row_begin_[s]; e < row_begin_[s + 1]; ++e) {
          const uint32_t t = column_[e];
          if (component_of_[t] != c) b[s] += probability_[e] * (*out)[t];
        }
      }
      if (Status st = SolveComponent(c, {}, b, *out); !st.ok()) {
        transposed_ = false;
        return st;
      }
    }
  }
  transposed_ = false;
  return Status::Ok();
}

Status AbsorbingChain::SolveComponent(uint32_t c, const std::vector<bool>& removed,
                                      std::span<const double> inflow, std::span<double> visits) {
  if (component_begin_[c + 1] - component_begin_[c] == 1) {  // no step within: self-loops
    const uint32_t s = members_[component_begin_[c]];        // are folded
    if (Kept(s, removed)) visits[s] = inflow[s];
    return Status::Ok();
  }
  std::vector<uint32_t>& states = states_;
  states.clear();
  bool any = false;
  for (uint32_t k = component_begin_[c]; k < component_begin_[c + 1]; ++k) {
    const uint32_t s = members_[k];
    if (!Kept(s, removed)) continue;
    states.push_back(s);
    any = any || inflow[s] != 0;
  }
  if (!any) return Status::Ok();  // nothing reaches it (pays nothing): 0
  if (states.size() == 1) {
    visits[states[0]] = inflow[states[0]];
    return Status::Ok();
  }
  if (local_.size() != n_) local_.resize(n_);
  for (uint32_t i = 0; i < states.size(); ++i) local_[states[i]] = i;
  return states.size() <= kDenseLimit ? SolveDense(c, states, removed, inflow, visits)
                                      : SolveIteratively(c, states, removed, inflow, visits);
}

// Gaussian elimination with partial pivoting on the component's (I − Q_ccᵀ).
Status AbsorbingChain::SolveDense(uint32_t c, std::span<const uint32_t> states,
                                  const std::vector<bool>& removed, std::span<const double> inflow,
                                  std::span<double> visits) {
  const size_t k = states.size();
  std::vector<double> a(k * k, 0.0), b(k);
  const auto at = [&](size_t i, size_t j) -> double& { return a[i * k + j]; };
  for (size_t i = 0; i < k; ++i) {
    const uint32_t s = states[i];
    at(i, i) = 1.0;
    b[i] = inflow[s];
    for (uint64_t e = row_begin_[s]; e < row_begin_[s + 1]; ++e) {
      const uint32_t t = column_[e];
      if (component_of_[t] != c || !Kept(t, removed)) continue;
      (transposed_ ? at(i, local_[t]) : at(local_[t], i)) -= probability_[e];
    }
  }
  for (size_t col = 0; col < k; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < k; ++r) {
      if (std::abs(at(r, col)) > std::abs(at(pivot, col))) pivot = r;
    }
    if (at(pivot, col) == 0) return Status::Internal("the Markov chain's matrix is singular");
    if (pivot != col) {
      for (size_t j = col; j < k; ++j) std::swap(at(col, j), at(pivot, j));
      std::swap(b[col], b[pivot]);
    }
    for (size_t r = col + 1; r < k; ++r) {
      const double f = at(r, col) / at(col, col);
      if (f == 0) continue;
      for (size_t j = col; j < k; ++j) at(r, j) -= f * at(col, j);
      b[r] -= f * b[col];
    }
  }
  for (size_t i = k; i-- > 0;) {
    double x = b[i];
    for (size_t j = i + 1; j < k; ++j) x -= at(i, j) * visits[states[j]];
    visits[states[i]] = x / at(i, i);
  }
  return Status::Ok();
}

// Restarted GMRES (Saad & Schultz 1986) with modified Gram–Schmidt and Givens rotations,
// starting from the unrestricted solution when there is one.
Status AbsorbingChain::SolveIteratively(uint32_t c, std::span<const uint32_t> states,
                                        const std::vector<bool>& removed,
                                        std::span<const double> inflow, std::span<double> visits) {
  const size_t n = states.size();
  // The steps among the kept states, in local indexes, once: GMRES applies them many times.
  std::vector<uint32_t> begin = {0}, to;
  std::vector<double> p;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t s = states[i];
    for (uint64_t e = row_begin_[s]; e < row_begin_[s + 1]; ++e) {
      const uint32_t t = column_[e];
      if (component_of_[t] != c || !Kept(t, removed)) continue;
      to.push_back(local_[t]);
      p.push_back(probability_[e]);
    }
    begin.push_back(static_cast<uint32_t>(to.size()));
  }
  const auto apply = [&](std::span<const double> v, std::span<double> out) {
    std::copy(v.begin(), v.end(), out.begin());
    if (transposed_) {  // (I − Q_cc) v
      for (size_t i = 0; i < n; ++i) {
        for (uint32_t e = begin[i]; e < begin[i + 1]; ++e) out[i] -= p[e] * v[to[e]];
      }
      return;
    }
    for (size_t i = 0; i < n; ++i) {  // (I − Q_ccᵀ) v
      if (v[i] == 0) continue;
      for (uint32_t e = begin[i]; e < begin[i + 1]; ++e) out[to[e]] -= p[e] * v[i];
    }
  };
  std::vector<double> b(n), x(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    b[i] = inflow[states[i]];
    if (!transposed_ && visits_.size() == n_) x[i] = visits_[states[i]];
  }
  // Visits: absolute, as no more than the one unit of flow entering the chain reaches any
  // component, and the answers are sums of visits. Absorption from each state: relative to
  // what absorbing pays (a value may be large).
  const double tolerance = kTolerance * std::max(1.0, std::sqrt(Dot(b, b)));
  const int m = static_cast<int>(std::min<size_t>(kRestart, n));
  // Every vector is written before it is read: the space is reused without clearing.
  if (basis_.size() < static_cast<size_t>(m + 1) * n) basis_.resize(static_cast<size_t>(m + 1) * n);
  const auto vec = [&](int i) { return std::span<double>(basis_.data() + i * n, n); };
  std::vector<double> h(static_cast<size_t>(m + 1) * m), cs(m), sn(m), g(m + 1), y(m);
  const auto H = [&](int i, int j) -> double& { return h[static_cast<size_t>(i) * m + j]; };
  std::vector<double> r(n);
  for (int restart = 0;; ++restart) {
    apply(x, r);
    for (size_t i = 0; i < n; ++i) r[i] = b[i] - r[i];
    const double beta = std::sqrt(Dot(r, r));
    if (beta <= tolerance) break;
    if (restart == kMaxRestarts) {
      return Status::Internal(fmt::format(
          "the Markov chain's linear solve did not converge (a cycle of {} states)", n));
    }
    for (size_t i = 0; i < n; ++i) vec(0)[i] = r[i] / beta;
    std::fill(g.begin(), g.end(), 0.0);
    g[0] = beta;
    int k = 0;  // columns of H built
    for (int j = 0; j < m; ++j) {
      const std::span<double> w = vec(j + 1);
      apply(vec(j), w);
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
        const double a = H(i, j), d = H(i + 1, j);
        H(i, j) = cs[i] * a + sn[i] * d;
        H(i + 1, j) = -sn[i] * a + cs[i] * d;
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
      if (std::abs(g[j + 1]) <= tolerance || norm == 0) break;
    }
    for (int i = k - 1; i >= 0; --i) {  // H y = g, H upper triangular
      double sum = g[i];
      for (int j = i + 1; j < k; ++j) sum -= H(i, j) * y[j];
      y[i] = sum / H(i, i);
    }
    for (int i = 0; i < k; ++i) {
      const std::span<double> vi = vec(i);
      for (size_t t = 0; t < n; ++t) x[t] += y[i] * vi[t];
    }
  }
  for (size_t i = 0; i < n; ++i) visits[states[i]] = x[i];
  return Status::Ok();
}

}  // namespace attrib
