using System.Runtime.InteropServices;

namespace InferenceScheduler.Domain.Live;

/// <summary>The scheduling priority of a live deployment's replica threads
/// (Platform:Live:ReplicaThreadPriority).</summary>
public enum ReplicaThreadPriority
{
    /// <summary>As any other thread of the process.</summary>
    Normal,

    /// <summary>The highest the process may take: <see cref="ThreadPriority.Highest"/>, and on Linux the lowest nice
    /// value the process is allowed (−20 with CAP_SYS_NICE or a matching RLIMIT_NICE; without either, none below
    /// the process's own, and the thread stays as it was).</summary>
    Highest,
}

/// <summary>Applies a <see cref="ReplicaThreadPriority"/> to the calling thread.</summary>
internal static partial class ReplicaThreads
{
    /// <summary>
    /// Raises the calling thread as far as it is allowed; never fails. Returns the thread's nice value afterwards
    /// (Linux; null elsewhere or unreadable). On Linux the nice value is per thread: setpriority(PRIO_PROCESS, 0, n)
    /// from the thread changes only that thread; <see cref="Thread.Priority"/> alone does not change it there.
    /// </summary>
    public static int? Apply(ReplicaThreadPriority priority)
    {
        if (priority == ReplicaThreadPriority.Normal) return CurrentNice();
        try { Thread.CurrentThread.Priority = ThreadPriority.Highest; }
        catch (Exception e) when (e is ThreadStateException or UnauthorizedAccessException) { }
        if (!OperatingSystem.IsLinux()) return null;
        int? before = CurrentNice();
        try
        {
            // The lowest nice value allowed: −20 with CAP_SYS_NICE, otherwise 20 − RLIMIT_NICE; a refusal (EACCES,
            // EPERM) leaves the thread as it was, so try upwards until one is taken or the thread's own is reached.
            for (int nice = -20; nice < (before ?? 0); nice++)
                if (SetPriority(0, 0, nice) == 0) break;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return CurrentNice();
    }

    /// <summary>The calling thread's nice value (/proc/thread-self/stat, field 19), null when unreadable.</summary>
    public static int? CurrentNice()
    {
        try
        {
            string stat = File.ReadAllText("/proc/thread-self/stat");
            // Fields after the command name (in parentheses, which may hold spaces): state is field 3, nice 19.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException
                                      or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);
}
