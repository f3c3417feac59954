// Streaming polyphase resampler kernel: the native twin of media/resampler-kernel-ts.ts.
// Same state machine, same Q14 coefficient table, exact integer arithmetic, so the two produce
// identical samples (the tests compare them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace voice_dsp {

// Fractional bits of the coefficients (COEFFICIENT_SHIFT in media/resampler-design.ts).
constexpr int kCoefficientShift = 14;
// Largest sum of |coefficients| one phase may have (MAX_ABS_COEFFICIENT_SUM in the design): with
// int16 samples the int32 dot product then cannot overflow (65535 * 32768 + 2^13 < 2^31).
constexpr int32_t kMaxAbsCoefficientSum = 65535;

// One rate pair's filter, immutable and shared by every stream of that pair: the 22050 Hz tables
// hold ~28k coefficients, so a copy per call leg would cost real memory at hundreds of calls.
struct FilterBank {
  // table: up * taps Q14 coefficients, phase-major, oldest tap first. taps % 8 == 0.
  FilterBank(const int16_t* table, int taps, int up, int down, const int32_t* advance, const int32_t* next_phase);

  std::vector<int16_t> table;
  int taps, up, down;
  std::vector<int32_t> advance, next_phase;
};

class ResamplerKernel {
 public:
  explicit ResamplerKernel(std::shared_ptr<const FilterBank> filter);

  void Reset();
  // Outputs that n more input samples complete.
  int64_t OutputCount(int64_t n) const;
  // Consumes all of `input`, writes exactly OutputCount(n) samples to `out`, returns that count.
  // The caller checks that `out` is large enough.
  int64_t Process(const int16_t* input, int64_t n, int16_t* out);

  // Input samples appended to the history per inner pass; bounds memory for long inputs.
  // Chunking never changes the output (KERNEL_CHUNK in the TS twin is the same for symmetry).
  static constexpr int kChunk = 4096;

 private:
  std::shared_ptr<const FilterBank> filter_;
  std::vector<int16_t> hist_;
  int64_t avail_ = 0, pos_ = 0;
  int phase_ = 0;
};

}  // namespace voice_dsp
