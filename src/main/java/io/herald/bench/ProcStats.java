package io.herald.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A process's CPU time and resident memory as the kernel accounts them: {@code /proc/<pid>/stat} (utime + stime,
 * in clock ticks) and {@code /proc/<pid>/status} ({@code VmRSS}, {@code VmHWM}); and the CPU time of its JIT
 * compiler threads ({@code /proc/<pid>/task/<tid>/stat} of HotSpot's {@code C1/C2 CompilerThread}s), so that a run
 * can say how much of its CPU went to compiling rather than to the work measured.
 */
public final class ProcStats {

  /**
   * One reading; {@code rssKib}/{@code hwmKib} are -1 when unreadable. {@code jitNanosByThread}: the CPU time of
   * each JIT compiler thread alive at the reading, by thread id (empty for a process that is not a HotSpot JVM).
   */
  public record Sample(long cpuNanos, long sysNanos, long rssKib, long hwmKib, Map<Long, Long> jitNanosByThread) {
  }

  /**
   * The JIT compiler threads' CPU time between two readings. HotSpot starts and stops compiler threads as its queue
   * grows and shrinks: a thread that started in between counts whole, one that ended in between is missed, so this
   * is a lower bound.
   */
  public static long jitNanosBetween(Sample start, Sample end) {
    long total = 0;
    for (Map.Entry<Long, Long> thread : end.jitNanosByThread().entrySet()) {
      total += thread.getValue() - start.jitNanosByThread().getOrDefault(thread.getKey(), 0L);
    }
    return total;
  }

  /** HotSpot's compiler threads, as the kernel shows their names (15 characters at most). */
  private static final String[] JIT_THREAD_NAMES = {"C1 CompilerThre", "C2 CompilerThre"};

  private static final long TICKS_PER_SECOND = ticksPerSecond();

  private final long pid;

  public ProcStats(long pid) {
    this.pid = pid;
  }

  public long pid() {
    return pid;
  }

  public static ProcStats self() {
    return new ProcStats(ProcessHandle.current().pid());
  }

  /** Whether the process exists and its /proc files are readable. */
  public boolean available() {
    return Files.isReadable(Path.of("/proc", Long.toString(pid), "stat"));
  }

  public Sample sample() {
    long[] cpu = cpu();
    return new Sample(cpu[0], cpu[1], statusKib("VmRSS:"), statusKib("VmHWM:"), jitNanosByThread());
  }

  /** The process's open file descriptors (sockets included): the entries of {@code /proc/<pid>/fd}; -1 when unreadable. */
  public long openFiles() {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime of the process (all its threads), in nanoseconds; -1 when unreadable. */
  public long cpuNanos() {
    return cpu()[0];
  }

  /** {utime + stime, stime} in nanoseconds; -1s when unreadable. */
  private long[] cpu() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
      return new long[] {cpuNanosOf(stat, TICKS_PER_SECOND), sysNanosOf(stat, TICKS_PER_SECOND)};
    } catch (IOException | RuntimeException e) {
      return new long[] {-1, -1};
    }
  }

  private Map<Long, Long> jitNanosByThread() {
    Map<Long, Long> threads = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      tasks.forEach(task -> {
        try {
          String name = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).trim();
          if (isJitThread(name)) {
            String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
            threads.put(Long.parseLong(task.getFileName().toString()), cpuNanosOf(stat, TICKS_PER_SECOND));
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended while being read
        }
      });
    } catch (IOException | RuntimeException e) {
      // the process is gone
    }
    return threads;
  }

  static boolean isJitThread(String name) {
    for (String jit : JIT_THREAD_NAMES) {
      if (name.startsWith(jit)) {
        return true;
      }
    }
    return false;
  }

  /** stime alone (field 15): the kernel's share, mostly socket writes and reads. */
  static long sysNanosOf(String stat, long ticksPerSecond) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return Long.parseLong(f[12]) * 1_000_000_000L / ticksPerSecond;
  }

  /** Parses a /proc/<pid>/stat line: fields 14 (utime) and 15 (stime), counted after the ")" of the command name. */
  static long cpuNanosOf(String stat, long ticksPerSecond) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    // f[0] is field 3 (state): utime is field 14 -> f[11], stime field 15 -> f[12].
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks * 1_000_000_000L / ticksPerSecond;
  }

  private long statusKib(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone or the file unreadable
    }
    return -1;
  }

  private static long ticksPerSecond() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      p.waitFor();
      long v = Long.parseLong(out);
      return v > 0 ? v : 100;
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
