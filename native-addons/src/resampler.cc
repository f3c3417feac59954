#include "resampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace voice_dsp {

namespace {

// GCC/Clang vector extensions: 4 doubles per value. With AVX2 this is one ymm register, with
// SSE2 the compiler splits it in two; lane-wise IEEE semantics are the same either way, so the
// result never depends on which instruction set ran.
typedef double v4d __attribute__((vector_size(32)));

inline v4d load4(const double* p) {
  v4d v;
  std::memcpy(&v, p, sizeof v);  // unaligned load (windows start at any sample)
  return v;
}

// Build a version of the hot loop for AVX2+FMA machines next to the portable one and pick at load
// time (GCC ifunc), so a binary built on one x86-64 machine still runs on an older one.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VOICE_DSP_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VOICE_DSP_CLONES
#endif

// floor(sum + 0.5) then saturation: the TS twin's rounding, written the same way.
inline int16_t Saturate(double sum) {
  const double y = std::floor(sum + 0.5);
  return static_cast<int16_t>(y > 32767.0 ? 32767.0 : (y < -32768.0 ? -32768.0 : y));
}

// The convolution over every output whose newest input sample is already in `hist`.
// Lane j of the 8 accumulates taps with index % 8 == j, reduced as ((l0+l4)+(l1+l5))+((l2+l6)+(l3+l7)):
// the TS twin does exactly this with 8 scalar accumulators. Products are exact in double (float32
// coefficient x int16 sample), so FMA contraction does not change any result.
// (Interleaving two outputs per pass was tried and measured no faster: the loop is bound by
// loads, not by the add chain's latency.)
VOICE_DSP_CLONES
int64_t Convolve(const double* table, int taps, const int32_t* advance, const int32_t* next_phase,
                 const double* hist, int64_t avail, int64_t* pos_io, int* phase_io, int16_t* out) {
  int64_t pos = *pos_io;
  int phase = *phase_io;
  int64_t written = 0;
  while (pos < avail) {
    const double* c = table + static_cast<int64_t>(phase) * taps;
    const double* x = hist + (pos - taps + 1);
    v4d lo = {0, 0, 0, 0};
    v4d hi = {0, 0, 0, 0};
    for (int j = 0; j < taps; j += 8) {
      lo += load4(c + j) * load4(x + j);
      hi += load4(c + j + 4) * load4(x + j + 4);
    }
    const v4d s = lo + hi;
    out[written++] = Saturate((s[0] + s[1]) + (s[2] + s[3]));
    pos += advance[phase];
    phase = next_phase[phase];
  }
  *pos_io = pos;
  *phase_io = phase;
  return written;
}

}  // namespace

FilterBank::FilterBank(const float* table_in, int taps_in, int up_in, int down_in, const int32_t* advance_in,
                       const int32_t* next_phase_in)
    : table(table_in, table_in + static_cast<size_t>(up_in) * taps_in),
      taps(taps_in),
      up(up_in),
      down(down_in),
      advance(advance_in, advance_in + up_in),
      next_phase(next_phase_in, next_phase_in + up_in) {}

ResamplerKernel::ResamplerKernel(std::shared_ptr<const FilterBank> filter)
    : filter_(std::move(filter)), hist_(static_cast<size_t>(filter_->taps) + kChunk) {
  Reset();
}

void ResamplerKernel::Reset() {
  std::fill(hist_.begin(), hist_.end(), 0.0);
  avail_ = filter_->taps - 1;  // a stream starts from silence
  pos_ = filter_->taps - 1;
  phase_ = 0;
}

int64_t ResamplerKernel::OutputCount(int64_t n) const {
  const int64_t t_next = (pos_ - avail_) * filter_->up + phase_;
  const int64_t span = n * filter_->up - t_next;
  return span <= 0 ? 0 : (span + filter_->down - 1) / filter_->down;
}

int64_t ResamplerKernel::Process(const int16_t* input, int64_t n, int16_t* out) {
  const FilterBank& f = *filter_;
  const int64_t capacity = static_cast<int64_t>(hist_.size());
  double* hist = hist_.data();
  int64_t written = 0;
  int64_t offset = 0;
  while (offset < n) {
    const int64_t chunk = std::min(n - offset, capacity - avail_);
    for (int64_t i = 0; i < chunk; i++) hist[avail_ + i] = input[offset + i];
    avail_ += chunk;
    offset += chunk;

    written += Convolve(f.table.data(), f.taps, f.advance.data(), f.next_phase.data(), hist, avail_, &pos_, &phase_,
                        out + written);

    // Keep only the taps - 1 samples the next output can still reach.
    const int64_t start = pos_ - f.taps + 1;
    if (start > 0) {
      std::memmove(hist, hist + start, static_cast<size_t>(avail_ - start) * sizeof(double));
      avail_ -= start;
      pos_ -= start;
    }
  }
  return written;
}

}  // namespace voice_dsp
