package io.herald.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's CPU time and resident memory as the kernel accounts them: {@code /proc/<pid>/stat} (utime + stime,
 * in clock ticks) and {@code /proc/<pid>/status} ({@code VmRSS}, {@code VmHWM}).
 */
public final class ProcStats {

  /** One reading; {@code rssKib}/{@code hwmKib} are -1 when unreadable. */
  public record Sample(long cpuNanos, long sysNanos, long rssKib, long hwmKib) {
  }

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
    return new Sample(cpu[0], cpu[1], statusKib("VmRSS:"), statusKib("VmHWM:"));
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
