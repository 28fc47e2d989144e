/*
 * A wall clock moved to another date, for running the test suite "on" a day other than today
 * (scripts/test-dates). Loaded with LD_PRELOAD; every process of one run gets the same
 * SHIFTED_CLOCK_OFFSET (seconds, may be negative) in its environment, so the test process, the
 * services it starts and mosquitto all agree on the time.
 *
 * Only the wall clock moves (CLOCK_REALTIME and its variants, gettimeofday, time). The
 * monotonic and boot-time clocks are untouched: Swift's ContinuousClock, Task.sleep and
 * Dispatch's timers run on them. libfaketime also rewrites timers and epoll timeouts, and
 * under it Task.sleep never returns; this file exists because of that.
 *
 * Build: cc -shared -fPIC -O2 -o shifted-clock.so shifted-clock.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long offset_seconds;
static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *restrict, void *restrict);

__attribute__((constructor)) static void shifted_clock_init(void) {
    const char *text = getenv("SHIFTED_CLOCK_OFFSET");
    offset_seconds = text ? strtoll(text, NULL, 10) : 0;
    real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    real_gettimeofday = (int (*)(struct timeval *restrict, void *restrict))dlsym(RTLD_NEXT, "gettimeofday");
}

static int is_wall_clock(clockid_t clock) {
    return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE
#ifdef CLOCK_TAI
        || clock == CLOCK_TAI
#endif
        ;
}

int clock_gettime(clockid_t clock, struct timespec *time) {
    if (!real_clock_gettime) shifted_clock_init();
    int result = real_clock_gettime(clock, time);
    if (result == 0 && time && is_wall_clock(clock)) time->tv_sec += offset_seconds;
    return result;
}

int gettimeofday(struct timeval *restrict time, void *restrict zone) {
    if (!real_gettimeofday) shifted_clock_init();
    int result = real_gettimeofday(time, zone);
    if (result == 0 && time) time->tv_sec += offset_seconds;
    return result;
}

time_t time(time_t *out) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (out) *out = now.tv_sec;
    return now.tv_sec;
}
