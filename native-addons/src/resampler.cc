#include "resampler.h"

#include <algorithm>
#include <cstring>

namespace voice_dsp {

namespace {

// Build a version of the hot loop for AVX2 machines next to the portable one and pick at load
// time (GCC ifunc), so a binary built on one x86-64 machine still runs on an older one.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VOICE_DSP_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VOICE_DSP_CLONES
#endif

constexpr int32_t kRounding = 1 << (kCoefficientShift - 1);

// The convolution over every output whose newest input sample is already in `hist`.
// int16 x int16 products summed in int32: exact (the design bounds each phase's sum of
// |coefficients| so no input can overflow), hence order-free; the compiler turns the inner loop
// into pmaddwd (16 products per AVX2 instruction). Rounding and saturation as in the TS twin.
VOICE_DSP_CLONES
int64_t Convolve(const int16_t* table, int taps, const int32_t* advance, const int32_t* next_phase,
                 const int16_t* hist, int64_t avail, int64_t* pos_io, int* phase_io, int16_t* out) {
  int64_t pos = *pos_io;
  int phase = *phase_io;
  int64_t written = 0;
  while (pos < avail) {
    const int16_t* c = table + static_cast<int64_t>(phase) * taps;
    const int16_t* x = hist + (pos - taps + 1);
    int32_t sum = 0;
    for (int j = 0; j < taps; j++) sum += static_cast<int32_t>(c[j]) * static_cast<int32_t>(x[j]);
    const int32_t y = (sum + kRounding) >> kCoefficientShift;  // arithmetic shift: floor
    out[written++] = static_cast<int16_t>(y > 32767 ? 32767 : (y < -32768 ? -32768 : y));
    pos += advance[phase];
    phase = next_phase[phase];
  }
  *pos_io = pos;
  *phase_io = phase;
  return written;
}

}  // namespace

FilterBank::FilterBank(const int16_t* table_in, int taps_in, int up_in, int down_in, const int32_t* advance_in,
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
  std::fill(hist_.begin(), hist_.end(), int16_t{0});
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
  int16_t* hist = hist_.data();
  int64_t written = 0;
  int64_t offset = 0;
  while (offset < n) {
    const int64_t chunk = std::min(n - offset, capacity - avail_);
    std::memcpy(hist + avail_, input + offset, static_cast<size_t>(chunk) * sizeof(int16_t));
    avail_ += chunk;
    offset += chunk;

    written += Convolve(f.table.data(), f.taps, f.advance.data(), f.next_phase.data(), hist, avail_, &pos_, &phase_,
                        out + written);

    // Keep only the taps - 1 samples the next output can still reach.
    const int64_t start = pos_ - f.taps + 1;
    if (start > 0) {
      std::memmove(hist, hist + start, static_cast<size_t>(avail_ - start) * sizeof(int16_t));
      avail_ -= start;
      pos_ -= start;
    }
  }
  return written;
}

}  // namespace voice_dsp
