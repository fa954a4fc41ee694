package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GC pauses scripts/bench reports from a node's log: lines as Java 17 (Parallel, G1) and Java 25 (generational
 * ZGC) write them with {@code -Xlog:gc*:file=...:utctime,uptime,level,tags}, taken from real runs.
 */
class GcLogTest {

  /** Java 17, Parallel GC: the start line has no duration; the gc line ends with the pause. */
  private static final List<String> PARALLEL = List.of(
      "[2026-12-03T13:46:36.042+0000][1.814s][info][gc,start    ] GC(2) Pause Young (Allocation Failure)",
      "[2026-12-03T13:46:36.053+0000][1.826s][info][gc,heap     ] GC(2) PSYoungGen: 18912K(18944K)->2528K(18944K) Eden: 16384K(16384K)->0K(16384K) From: 2528K(2560K)->2528K(2560K)",
      "[2026-12-03T13:46:36.053+0000][1.826s][info][gc          ] GC(2) Pause Young (Allocation Failure) 20M->5M(61M) 11.389ms",
      "[2026-12-03T13:46:36.053+0000][1.826s][info][gc,cpu      ] GC(2) User=0.01s Sys=0.00s Real=0.00s",
      "[2026-12-03T13:46:38.765+0000][2.389s][info][gc,start    ] GC(25) Pause Full (System.gc())",
      "[2026-12-03T13:46:38.793+0000][2.417s][info][gc             ] GC(25) Pause Full (System.gc()) 42M->8M(34M) 28.502ms");

  /** Java 17, G1: the phases' own lines are parts of the pause, not pauses. */
  private static final List<String> G1 = List.of(
      "[2026-12-03T13:46:38.504+0000][2.128s][info][gc,start    ] GC(3) Pause Young (Normal) (G1 Evacuation Pause)",
      "[2026-12-03T13:46:38.517+0000][2.141s][info][gc,phases   ] GC(3)   Evacuate Collection Set: 11.9ms",
      "[2026-12-03T13:46:38.517+0000][2.141s][info][gc          ] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 28M->5M(64M) 12.577ms",
      "[2026-12-03T13:46:39.100+0000][2.700s][info][gc          ] GC(4) Pause Remark 30M->30M(64M) 1.234ms");

  /**
   * Java 25, generational ZGC: three short pauses per generation and cycle; the cycle's and the generations' own
   * lines (seconds, concurrent work), the concurrent phases and the statistics table are not pauses; an allocation
   * stall is one for its thread.
   */
  private static final List<String> ZGC = List.of(
      "[2026-12-03T13:46:32.155+0000][1.400s][info][gc          ] GC(0) Major Collection (Warmup)",
      "[2026-12-03T13:46:32.158+0000][1.403s][info][gc,phases   ] GC(0) Y: Pause Mark Start (Major) 0.021ms",
      "[2026-12-03T13:46:32.176+0000][1.421s][info][gc,phases   ] GC(0) Y: Concurrent Mark 17.852ms",
      "[2026-12-03T13:46:32.176+0000][1.421s][info][gc,phases   ] GC(0) Y: Pause Mark End 0.018ms",
      "[2026-12-03T13:46:32.177+0000][1.422s][info][gc,phases   ] GC(0) Y: Pause Relocate Start 0.013ms",
      "[2026-12-03T13:46:32.185+0000][1.430s][info][gc,phases   ] GC(0) Y: Young Generation 14M(11%)->12M(9%) 0.030s",
      "[2026-12-03T13:46:32.206+0000][1.451s][info][gc,phases   ] GC(0) O: Pause Relocate Start 0.042ms",
      "[2026-12-03T13:46:32.211+0000][1.456s][info][gc          ] GC(0) Major Collection (Warmup) 14M(11%)->12M(9%) 0.055s",
      "[2026-12-03T13:46:33.866+0000][3.111s][info][gc,phases   ] GC(3) y: Pause Mark Start 0.024ms",
      "[2026-12-03T13:46:33.903+0000][3.149s][info][gc          ] Allocation Stall (main) 5.078ms",
      "[2026-12-03T13:46:34.000+0000][3.245s][info][gc,stats    ]       Young Pause: Pause Mark End                                0.017 / 0.018         0.017 / 0.018         0.017 / 0.018         0.017 / 0.018       ms");

  @Test
  void parallelPausesAreTheGcLinesWithADuration() {
    List<GcLog.Pause> pauses = GcLog.parse(PARALLEL);
    assertEquals(List.of(11.389, 28.502), pauses.stream().map(GcLog.Pause::millis).toList());
    assertEquals(Instant.parse("2026-12-03T13:46:36.053Z"), pauses.get(0).end());
  }

  @Test
  void g1PhasesAreNotPauses() {
    assertEquals(List.of(12.577, 1.234), GcLog.parse(G1).stream().map(GcLog.Pause::millis).toList());
  }

  @Test
  void zgcPausesAndStallsButNotItsConcurrentWork() {
    assertEquals(List.of(0.021, 0.018, 0.013, 0.042, 0.024, 5.078),
        GcLog.parse(ZGC).stream().map(GcLog.Pause::millis).toList());
  }

  @Test
  void theWindowKeepsThePausesThatEndedInIt() {
    List<GcLog.Pause> pauses = GcLog.parse(PARALLEL);
    GcLog.Summary first = GcLog.within(pauses, Instant.parse("2026-12-03T13:46:36Z"), Instant.parse("2026-12-03T13:46:37Z"), 5);
    assertEquals(new GcLog.Summary(1, 11.389, 11.389, 1), first);
    GcLog.Summary both = GcLog.within(pauses, Instant.parse("2026-12-03T13:46:36.053Z"), Instant.parse("2026-12-03T13:46:38.793Z"), 20);
    assertEquals(2, both.count());
    assertEquals(28.502, both.maxMillis());
    assertEquals(39.891, both.totalMillis(), 1e-9);
    assertEquals(1, both.overTarget());
    assertEquals(0, GcLog.within(pauses, Instant.parse("2026-12-03T13:47:00Z"), Instant.parse("2026-12-03T13:48:00Z"), 5).count());
  }

  @Test
  void aPauseWithoutADateCountsWhateverTheWindow() {
    List<GcLog.Pause> pauses = GcLog.parse(List.of("[1.826s][info][gc] GC(2) Pause Young (Allocation Failure) 20M->5M(61M) 7,5ms"));
    assertNull(pauses.get(0).end());
    assertEquals(new GcLog.Summary(1, 7.5, 7.5, 1),
        GcLog.within(pauses, Instant.parse("2030-01-01T00:00:00Z"), Instant.parse("2030-01-01T00:00:01Z"), 5));
  }

  @Test
  void figuresSumTheNodesLogs(@TempDir Path dir) throws Exception {
    Path parallel = Files.write(dir.resolve("gc-1.log"), PARALLEL, StandardCharsets.UTF_8);
    Path zgc = Files.write(dir.resolve("gc-2.log"), ZGC, StandardCharsets.UTF_8);
    JsonObject figures = GcLog.phaseFigures(List.of(parallel, zgc), Instant.parse("2026-12-03T13:46:32Z"),
        Instant.parse("2026-12-03T13:46:37Z"), Duration.ofMillis(5));
    assertEquals(7, figures.getInteger("pauses")); // 6 of ZGC and the first of Parallel; the full GC came later
    assertEquals(11.389, figures.getDouble("pause_max_ms"));
    assertEquals(2, figures.getInteger("over_target")); // 11.389 and the 5.078 ms stall
    assertEquals(5.0, figures.getDouble("target_ms"));
    assertEquals(List.of(parallel.toString(), zgc.toString()), figures.getJsonArray("logs").getList());
  }
}
