package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stop-the-world pauses in a node's unified GC log ({@code -Xlog:gc*:file=...:utctime,...}, as scripts/bench
 * starts its nodes), so that a run can say how long the node stood still while it was measured.
 *
 * <p>A pause is a line whose message is {@code GC(n) [Y: |O: ]Pause <what> ... <millis>ms}: Parallel and G1
 * ({@code Pause Young (Allocation Failure) 16M->3M(61M) 17.947ms}, {@code Pause Full ...}, {@code Pause Remark ...})
 * and generational ZGC ({@code Y: Pause Mark Start (Major) 0.021ms}). The {@code gc,start} line announcing a pause
 * has no duration, and ZGC's whole-cycle line ({@code Major Collection ... 0.123s}) is concurrent work, not a pause:
 * neither counts. ZGC's allocation stalls ({@code Allocation Stall (vert.x-eventloop-thread-0) 5.078ms}: a thread
 * waiting for the collector to free memory) count as pauses: for that thread they are one. The line's time is its first decoration when that is a date ({@code utctime} or {@code time}).
 */
public final class GcLog {

  /** One pause: when its log line was written (at its end; null when the line has no date), and how long it took. */
  public record Pause(Instant end, double millis) {
  }

  /** The pauses of a phase: how many, the longest and their total in ms, and how many were over the target. */
  public record Summary(int count, double maxMillis, double totalMillis, int overTarget) {

    static final Summary NONE = new Summary(0, 0, 0, 0);

    Summary plus(Summary other) {
      return new Summary(count + other.count, Math.max(maxMillis, other.maxMillis), totalMillis + other.totalMillis,
          overTarget + other.overTarget);
    }
  }

  private static final Pattern PAUSE = Pattern.compile(
      "(?:\\bGC\\(\\d+\\) (?:[YyOo]: )?Pause \\S.*?|\\bAllocation Stall \\(.*\\))\\s(\\d+(?:[.,]\\d+)?)ms\\s*$");

  private static final Pattern FIRST_DECORATION = Pattern.compile("^\\[([^\\]]+)\\]");

  /** {@code utctime} and {@code time}: ISO-8601 with milliseconds and a numeric offset, e.g. 2026-12-03T13:46:32.158+0000. */
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  private GcLog() {
  }

  /** The pauses of a log file, in file order. */
  public static List<Pause> read(Path file) throws IOException {
    return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** The pauses of log lines, in their order. */
  public static List<Pause> parse(List<String> lines) {
    List<Pause> pauses = new ArrayList<>();
    for (String line : lines) {
      Matcher pause = PAUSE.matcher(line);
      if (pause.find()) {
        pauses.add(new Pause(timeOf(line), Double.parseDouble(pause.group(1).replace(',', '.'))));
      }
    }
    return pauses;
  }

  /**
   * The pauses that ended within [from, to], with those over {@code targetMillis} counted. A pause without a date is
   * counted whatever the window: it cannot be shown to lie outside it.
   */
  public static Summary within(List<Pause> pauses, Instant from, Instant to, double targetMillis) {
    Summary summary = Summary.NONE;
    for (Pause p : pauses) {
      if (p.end() == null || (!p.end().isBefore(from) && !p.end().isAfter(to))) {
        summary = summary.plus(new Summary(1, p.millis(), p.millis(), p.millis() > targetMillis ? 1 : 0));
      }
    }
    return summary;
  }

  /**
   * The GC figures of a run's measured phase over the logs of all its nodes: pauses (count), pause_max_ms,
   * pause_total_ms, target_ms and over_target (pauses longer than the target), and the logs read.
   */
  static JsonObject phaseFigures(List<Path> logs, Instant from, Instant to, Duration target) throws IOException {
    double targetMillis = target.toNanos() / 1e6;
    Summary all = Summary.NONE;
    for (Path log : logs) {
      all = all.plus(within(read(log), from, to, targetMillis));
    }
    return new JsonObject()
        .put("logs", logs.stream().map(Path::toString).toList())
        .put("pauses", all.count())
        .put("pause_max_ms", BenchRunner.round(all.maxMillis(), 3))
        .put("pause_total_ms", BenchRunner.round(all.totalMillis(), 3))
        .put("target_ms", targetMillis)
        .put("over_target", all.overTarget());
  }

  private static Instant timeOf(String line) {
    Matcher decoration = FIRST_DECORATION.matcher(line);
    if (!decoration.find()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(decoration.group(1), TIME).toInstant();
    } catch (DateTimeParseException notADate) {
      return null;
    }
  }
}
