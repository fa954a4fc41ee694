package io.herald.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The layout of a run's chart, drawn on any {@link ChartCanvas}: a title, then two panels over time — latency
 * (p50, p99, max per second, in ms) and throughput (sent and delivered per second). {@link SvgPlot} and
 * {@link PngPlot} draw the same chart.
 */
final class BenchChart {

  static final int WIDTH = 760;
  private static final int PANEL_H = 220;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 56;
  private static final int GAP = 60;
  static final int HEIGHT = TOP + 2 * PANEL_H + GAP + 40;
  private static final String AXIS = "#333333";
  private static final String GRID = "#dddddd";

  private BenchChart() {
  }

  private record Series(String name, String color, ToDoubleFunction<BenchResult.Point> value) {
  }

  static void draw(ChartCanvas canvas, String title, List<BenchResult.Point> points) {
    canvas.fill(0, 0, WIDTH, HEIGHT, "#ffffff");
    canvas.text(LEFT, 22, title, 15, true, ChartCanvas.Anchor.START);
    double tMax = points.isEmpty() ? 1 : Math.max(1, points.get(points.size() - 1).t());
    panel(canvas, TOP, "latency (ms), per second", tMax, points, List.of(
        new Series("p50", "#1f77b4", BenchResult.Point::p50),
        new Series("p99", "#d62728", BenchResult.Point::p99),
        new Series("max", "#999999", BenchResult.Point::max)));
    panel(canvas, TOP + PANEL_H + GAP, "throughput (per second)", tMax, points, List.of(
        new Series("sent", "#2ca02c", p -> p.sent()),
        new Series("delivered", "#ff7f0e", p -> p.delivered())));
    canvas.text(LEFT + (WIDTH - LEFT - RIGHT) / 2.0, HEIGHT - 8, "time (s)", 12, false, ChartCanvas.Anchor.MIDDLE);
  }

  private static void panel(ChartCanvas canvas, int top, String label, double tMax, List<BenchResult.Point> points,
                            List<Series> series) {
    int w = WIDTH - LEFT - RIGHT;
    double yMax = 0;
    for (Series s : series) {
      for (BenchResult.Point p : points) {
        yMax = Math.max(yMax, s.value().applyAsDouble(p));
      }
    }
    yMax = niceCeiling(yMax);
    canvas.text(LEFT, top - 8, label, 12, true, ChartCanvas.Anchor.START);
    for (int i = 0; i <= 4; i++) {
      double y = top + PANEL_H - PANEL_H * i / 4.0;
      canvas.line(LEFT, y, LEFT + w, y, GRID);
      canvas.text(LEFT - 6, y + 4, label(yMax * i / 4), 12, false, ChartCanvas.Anchor.END);
    }
    canvas.outline(LEFT, top, w, PANEL_H, AXIS);
    for (int i = 0; i <= 5; i++) {
      double t = tMax * i / 5;
      canvas.text(LEFT + w * i / 5.0, top + PANEL_H + 16,
          tMax >= 5 ? String.format(Locale.ROOT, "%.0f", t) : label(t), 12, false, ChartCanvas.Anchor.MIDDLE);
    }
    int legendX = LEFT + w - 90 * series.size();
    for (Series s : series) {
      List<double[]> coords = new ArrayList<>();
      for (BenchResult.Point p : points) {
        double v = s.value().applyAsDouble(p);
        if (v < 0) {
          continue; // no delivery that second: no latency to draw
        }
        coords.add(new double[] {LEFT + w * p.t() / tMax, top + PANEL_H - (yMax == 0 ? 0 : PANEL_H * v / yMax)});
      }
      if (!coords.isEmpty()) {
        canvas.polyline(coords, s.color(), 1.8);
      }
      canvas.fill(legendX, top + 12, 12, 3, s.color());
      canvas.text(legendX + 16, top + 17, s.name(), 12, false, ChartCanvas.Anchor.START);
      legendX += 90;
    }
  }

  private static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  private static String label(double v) {
    if (v >= 1_000_000) {
      return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }
    if (v >= 10_000) {
      return String.format(Locale.ROOT, "%.0fk", v / 1e3);
    }
    if (v >= 10 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
