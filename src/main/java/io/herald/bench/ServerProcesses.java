package io.herald.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The server under test as one or several processes (a node, or every node of a fleet): CPU is summed over them,
 * memory is kept per process and summed.
 */
public final class ServerProcesses {

  /** One reading of every process, in the order of {@link #pids()}. */
  public record Sample(List<ProcStats.Sample> each) {

    /** utime + stime of every process, summed, in nanoseconds; -1 when one of them is unreadable. */
    public long cpuNanos() {
      return sum(ProcStats.Sample::cpuNanos);
    }

    /** stime of every process, summed, in nanoseconds; -1 when one of them is unreadable. */
    public long sysNanos() {
      return sum(ProcStats.Sample::sysNanos);
    }

    /** Resident memory of every process, summed, in KiB; -1 when one of them is unreadable. */
    public long rssKib() {
      return sum(ProcStats.Sample::rssKib);
    }

    private long sum(ToLongFunction<ProcStats.Sample> field) {
      long total = 0;
      for (ProcStats.Sample s : each) {
        long v = field.applyAsLong(s);
        if (v < 0) {
          return -1;
        }
        total += v;
      }
      return total;
    }
  }

  private final List<ProcStats> processes = new ArrayList<>();

  /** @throws IllegalArgumentException when a process does not exist or its /proc files are unreadable */
  public ServerProcesses(List<Long> pids) {
    for (long pid : pids) {
      ProcStats p = new ProcStats(pid);
      if (!p.available()) {
        throw new IllegalArgumentException("--server-pid " + pid + ": no such process (or /proc unreadable)");
      }
      processes.add(p);
    }
  }

  public List<Long> pids() {
    return processes.stream().map(ProcStats::pid).toList();
  }

  public Sample sample() {
    List<ProcStats.Sample> each = new ArrayList<>(processes.size());
    for (ProcStats p : processes) {
      each.add(p.sample());
    }
    return new Sample(each);
  }

  /**
   * The live Java heap of each process, in bytes, in the order of {@link #pids()}: the total of {@code jcmd <pid> GC.class_histogram}, which
   * runs a full collection first, so it counts only reachable objects. Unlike RSS it does not depend on how far the
   * JVM grew its heap; it is what a connection really keeps. Only for connect runs: the forced collection would
   * disturb a publishing phase.
   *
   * @throws IllegalStateException when jcmd is missing or its output has no total
   */
  public List<Long> liveHeapBytes() throws IOException, InterruptedException {
    List<Long> each = new ArrayList<>();
    for (long pid : pids()) {
      Process jcmd = new ProcessBuilder(jcmd(), Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
      String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + pid + " GC.class_histogram failed: " + output.lines().findFirst().orElse(""));
      }
      each.add(histogramTotal(output));
    }
    return each;
  }

  /** The jcmd of this JVM's own JDK when it has one (scripts/bench runs the generator on the nodes' JDK), else the PATH's. */
  private static String jcmd() {
    Path own = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return Files.isExecutable(own) ? own.toString() : "jcmd";
  }

  /** The byte total of a class histogram: its last line, {@code Total <instances> <bytes>}. */
  static long histogramTotal(String histogram) {
    return histogram.lines().map(String::trim).filter(l -> l.startsWith("Total")).reduce((a, b) -> b)
        .map(l -> Long.parseLong(l.split("\\s+")[2]))
        .orElseThrow(() -> new IllegalStateException("no Total line in the class histogram"));
  }

  /** Peak RSS seen per process and of their sum, over the samples given (by the sampler thread and the run's). */
  static final class RssPeaks {
    private final long[] each;
    private long total = -1;

    RssPeaks(Sample first) {
      each = new long[first == null ? 0 : first.each().size()];
      Arrays.fill(each, -1);
      if (first != null) {
        add(first);
      }
    }

    synchronized void add(Sample sample) {
      for (int i = 0; i < each.length; i++) {
        each[i] = Math.max(each[i], sample.each().get(i).rssKib());
      }
      total = Math.max(total, sample.rssKib());
    }

    synchronized long of(int process) {
      return each[process];
    }

    synchronized long total() {
      return total;
    }
  }
}
