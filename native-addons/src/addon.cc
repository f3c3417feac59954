// N-API entry point of voice_dsp: exposes the resampler kernel to native-addons/index.ts.
// Everything that is not the hot loop (filter design, output sizing, streaming bookkeeping)
// stays in TypeScript; this file only validates arguments and moves pointers.
//
//   const filter = new Filter(table, taps, up, down, advance, nextPhase)  // once per rate pair
//   const r = createResampler(filter)                                      // once per stream
//   r.process(input: Int16Array, out: Int16Array) -> samples written
#include <napi.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "resampler.h"

namespace {

// Bumped whenever the JS <-> native contract changes; index.ts refuses a stale build.
constexpr int kAbiVersion = 3;  // 3: Q14 tables, createResampler

bool IsTypedArrayOf(const Napi::Value& v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}

// Constructors kept per addon instance (one per worker thread / environment).
struct InstanceData {
  Napi::FunctionReference filter_ctor;
};

// An immutable filter bank: the coefficient table shared by every stream made from it.
class Filter : public Napi::ObjectWrap<Filter> {
 public:
  static Napi::Function Init(Napi::Env env) { return DefineClass(env, "Filter", {}); }

  // new Filter(table: Int16Array (Q14), taps, up, down, advance: Int32Array, nextPhase: Int32Array)
  explicit Filter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Filter>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 6 || !IsTypedArrayOf(info[0], napi_int16_array) || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber() || !IsTypedArrayOf(info[4], napi_int32_array) || !IsTypedArrayOf(info[5], napi_int32_array)) {
      throw Napi::TypeError::New(env, "Filter(table: Int16Array, taps, up, down, advance: Int32Array, nextPhase: Int32Array)");
    }
    auto table = info[0].As<Napi::Int16Array>();
    const int taps = info[1].As<Napi::Number>().Int32Value();
    const int up = info[2].As<Napi::Number>().Int32Value();
    const int down = info[3].As<Napi::Number>().Int32Value();
    auto advance = info[4].As<Napi::Int32Array>();
    auto next_phase = info[5].As<Napi::Int32Array>();
    if (taps <= 0 || taps % 8 != 0 || up <= 0 || down <= 0) {
      throw Napi::RangeError::New(env, "taps must be a positive multiple of 8; up, down > 0");
    }
    if (table.ElementLength() != static_cast<size_t>(up) * taps || advance.ElementLength() != static_cast<size_t>(up) ||
        next_phase.ElementLength() != static_cast<size_t>(up)) {
      throw Napi::RangeError::New(env, "table must hold up * taps values; advance and nextPhase up values");
    }
    for (int p = 0; p < up; p++) {
      // A bad step table would walk the kernel out of its history buffer.
      if (advance[p] < 0 || advance[p] >= taps || next_phase[p] < 0 || next_phase[p] >= up) {
        throw Napi::RangeError::New(env, "advance / nextPhase out of range");
      }
      // A phase this loud could overflow the kernel's int32 sum (undefined behaviour in C++).
      int32_t abs_sum = 0;
      for (int j = 0; j < taps; j++) abs_sum += std::abs(static_cast<int32_t>(table[static_cast<size_t>(p) * taps + j]));
      if (abs_sum > voice_dsp::kMaxAbsCoefficientSum) {
        throw Napi::RangeError::New(env, "a phase's sum of |coefficients| exceeds " + std::to_string(voice_dsp::kMaxAbsCoefficientSum));
      }
    }
    bank_ = std::make_shared<const voice_dsp::FilterBank>(table.Data(), taps, up, down, advance.Data(), next_phase.Data());
  }

  const std::shared_ptr<const voice_dsp::FilterBank>& bank() const { return bank_; }

 private:
  std::shared_ptr<const voice_dsp::FilterBank> bank_;
};

// One stream's kernel, shared by its two functions: each holds a shared_ptr to it as its N-API
// `data`, released by that function's finalizer, so the kernel lives while any of them does.
using KernelHandle = std::shared_ptr<voice_dsp::ResamplerKernel>;

voice_dsp::ResamplerKernel& KernelOf(const Napi::CallbackInfo& info) { return **static_cast<KernelHandle*>(info.Data()); }

// One napi_get_typedarray_info per argument (type, length and data in one call): this runs
// twice per 20 ms frame per call, so the wrapper's extra IsTypedArray/As round trips matter.
bool Int16Arg(napi_env env, napi_value v, int16_t** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, nullptr, nullptr) != napi_ok || type != napi_int16_array) return false;
  *data = static_cast<int16_t*>(ptr);
  return true;
}

// process(input: Int16Array, out: Int16Array): number of samples written
Napi::Value Process(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  voice_dsp::ResamplerKernel& kernel = KernelOf(info);
  int16_t* in_data = nullptr;
  int16_t* out_data = nullptr;
  size_t in_len = 0, out_len = 0;
  if (info.Length() != 2 || !Int16Arg(env, info[0], &in_data, &in_len) || !Int16Arg(env, info[1], &out_data, &out_len)) {
    throw Napi::TypeError::New(env, "process(input: Int16Array, out: Int16Array)");
  }
  const int64_t n = static_cast<int64_t>(in_len);
  const int64_t need = kernel.OutputCount(n);
  if (static_cast<int64_t>(out_len) < need) {
    throw Napi::RangeError::New(env, "output holds " + std::to_string(out_len) + " samples, need " + std::to_string(need));
  }
  // Input is consumed in chunks while output is written, so overlapping arrays would read
  // samples already overwritten: refuse them (the TS wrapper does the same).
  const auto* in_begin = reinterpret_cast<const char*>(in_data);
  const auto* out_begin = reinterpret_cast<const char*>(out_data);
  if (n > 0 && need > 0 && in_begin < out_begin + need * 2 && out_begin < in_begin + n * 2) {
    throw Napi::RangeError::New(env, "input and output must not overlap");
  }
  return Napi::Number::New(env, static_cast<double>(kernel.Process(in_data, n, out_data)));
}

Napi::Value Reset(const Napi::CallbackInfo& info) {
  KernelOf(info).Reset();
  return info.Env().Undefined();
}

// The template overload hands `handle` to N-API as the function's data as is (the runtime-callable
// overload would wrap it in one more allocation with a finalizer of its own).
template <Napi::Function::Callback fn>
Napi::Function KernelFunction(Napi::Env env, const char* name, const KernelHandle& kernel) {
  auto* handle = new KernelHandle(kernel);
  Napi::Function f = Napi::Function::New<fn>(env, name, handle);
  f.AddFinalizer([](Napi::Env, KernelHandle* h) { delete h; }, handle);
  return f;
}

// createResampler(filter: Filter) -> { process, reset }: one stream (output sizing stays in TS). Plain functions
// with the kernel as their data rather than methods of a wrapped object, because napi_unwrap (a
// private-property lookup on `this`) cost as much per call as checking both typed arrays.
Napi::Value CreateResampler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<InstanceData>();
  if (info.Length() != 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(data->filter_ctor.Value())) {
    throw Napi::TypeError::New(env, "createResampler(filter: Filter)");
  }
  auto kernel = std::make_shared<voice_dsp::ResamplerKernel>(Filter::Unwrap(info[0].As<Napi::Object>())->bank());
  Napi::Object stream = Napi::Object::New(env);
  stream.Set("process", KernelFunction<Process>(env, "process", kernel));
  stream.Set("reset", KernelFunction<Reset>(env, "reset", kernel));
  return stream;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  Napi::Function filter = Filter::Init(env);
  data->filter_ctor = Napi::Persistent(filter);
  env.SetInstanceData(data);  // deleted by node-addon-api when the environment goes away
  exports.Set("abiVersion", Napi::Number::New(env, kAbiVersion));
  exports.Set("Filter", filter);
  exports.Set("createResampler", Napi::Function::New(env, CreateResampler, "createResampler"));
  return exports;
}

}  // namespace

NODE_API_MODULE(voice_dsp, Init)
