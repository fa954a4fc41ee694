package io.herald.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** A two-panel SVG written by hand: latency (p50, p99, max) over time, and throughput (sent, delivered) over time. */
public final class SvgPlot {

  private static final int W = 760;
  private static final int PANEL_H = 220;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 56;
  private static final int GAP = 60;

  private SvgPlot() {
  }

  public static String render(String title, List<BenchResult.Point> points) {
    StringBuilder svg = new StringBuilder();
    int height = TOP + 2 * PANEL_H + GAP + 40;
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
        W, height, W, height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", LEFT, escape(title)));
    double tMax = points.isEmpty() ? 1 : Math.max(1, points.get(points.size() - 1).t());
    panel(svg, TOP, "latency (ms), per second", tMax, points, List.of(
        new Series("p50", "#1f77b4", BenchResult.Point::p50),
        new Series("p99", "#d62728", BenchResult.Point::p99),
        new Series("max", "#999999", BenchResult.Point::max)));
    panel(svg, TOP + PANEL_H + GAP, "throughput (per second)", tMax, points, List.of(
        new Series("sent", "#2ca02c", p -> p.sent()),
        new Series("delivered", "#ff7f0e", p -> p.delivered())));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (s)</text>%n",
        LEFT + (W - LEFT - RIGHT) / 2, height - 8));
    svg.append("</svg>\n");
    return svg.toString();
  }

  private record Series(String name, String color, ToDoubleFunction<BenchResult.Point> value) {
  }

  private static void panel(StringBuilder svg, int top, String label, double tMax, List<BenchResult.Point> points,
                            List<Series> series) {
    int w = W - LEFT - RIGHT;
    double yMax = 0;
    for (Series s : series) {
      for (BenchResult.Point p : points) {
        yMax = Math.max(yMax, s.value().applyAsDouble(p));
      }
    }
    yMax = niceCeiling(yMax);
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", LEFT, top - 8, escape(label)));
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
        LEFT, top, w, PANEL_H));
    for (int i = 0; i <= 4; i++) {
      double v = yMax * i / 4;
      double y = top + PANEL_H - PANEL_H * i / 4.0;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + w, y));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4, label(v)));
    }
    for (int i = 0; i <= 5; i++) {
      double t = tMax * i / 5;
      double x = LEFT + w * i / 5.0;
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, top + PANEL_H + 16,
          tMax >= 5 ? String.format(Locale.ROOT, "%.0f", t) : label(t)));
    }
    int legendX = LEFT + w - 90 * series.size();
    for (Series s : series) {
      List<String> coords = new ArrayList<>();
      for (BenchResult.Point p : points) {
        double v = s.value().applyAsDouble(p);
        if (v < 0) {
          continue;
        }
        double x = LEFT + w * p.t() / tMax;
        double y = top + PANEL_H - (yMax == 0 ? 0 : PANEL_H * v / yMax);
        coords.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
      }
      if (!coords.isEmpty()) {
        svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>%n",
            s.color(), String.join(" ", coords)));
      }
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>", legendX, top + 12, s.color()));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", legendX + 16, top + 17, s.name()));
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

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
