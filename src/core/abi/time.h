#pragma once
// Guest ABI: time (Linux x86-64, include/uapi/linux/time.h, time_types.h).

#include <cstdint>

namespace uml::abi {

struct timespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};
static_assert(sizeof(timespec) == 16);

struct timeval {
  int64_t tv_sec;
  int64_t tv_usec;
};
static_assert(sizeof(timeval) == 16);

struct timezone {
  int32_t tz_minuteswest;
  int32_t tz_dsttime;
};
static_assert(sizeof(timezone) == 8);

enum ClockId : int32_t {
  CLOCK_REALTIME_ = 0,
  CLOCK_MONOTONIC_ = 1,
  CLOCK_PROCESS_CPUTIME_ID_ = 2,
  CLOCK_THREAD_CPUTIME_ID_ = 3,
  CLOCK_MONOTONIC_RAW_ = 4,
  CLOCK_REALTIME_COARSE_ = 5,
  CLOCK_MONOTONIC_COARSE_ = 6,
  CLOCK_BOOTTIME_ = 7,
  CLOCK_REALTIME_ALARM_ = 8,
  CLOCK_BOOTTIME_ALARM_ = 9,
  CLOCK_TAI_ = 11,
};
inline constexpr int TIMER_ABSTIME_ = 1;
inline constexpr int64_t NSEC_PER_SEC = 1'000'000'000;

}  // namespace uml::abi
