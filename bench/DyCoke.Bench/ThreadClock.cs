// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): on a shared machine a step's wall time includes the time
// other processes took the core away, its CPU time does not. Linux only, like the rest of the benchmark harness.
using System.Runtime.InteropServices;

namespace DyCoke.Bench;

internal static class ThreadClock
{
    private const int ThreadCpuTimeId = 3;

    /// <summary>Milliseconds of CPU time the calling thread has used.</summary>
    public static double CpuMs()
    {
        if (ClockGetTime(ThreadCpuTimeId, out var ts) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts.Seconds * 1e3 + ts.Nanoseconds / 1e6;
    }

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
