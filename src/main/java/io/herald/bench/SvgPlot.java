package io.herald.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The run's chart ({@link BenchChart}) as an SVG document, written by hand. */
public final class SvgPlot implements ChartCanvas {

  private final StringBuilder svg = new StringBuilder();

  private SvgPlot() {
  }

  public static String render(String title, List<BenchResult.Point> points) {
    SvgPlot plot = new SvgPlot();
    plot.svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
        BenchChart.WIDTH, BenchChart.HEIGHT, BenchChart.WIDTH, BenchChart.HEIGHT));
    BenchChart.draw(plot, title, points);
    plot.svg.append("</svg>\n");
    return plot.svg.toString();
  }

  @Override
  public void fill(double x, double y, double width, double height, String color) {
    svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
        x, y, width, height, color));
  }

  @Override
  public void outline(double x, double y, double width, double height, String color) {
    svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"%s\"/>%n",
        x, y, width, height, color));
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, String color) {
    svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
        x1, y1, x2, y2, color));
  }

  @Override
  public void polyline(List<double[]> points, String color, double strokeWidth) {
    List<String> coords = new ArrayList<>(points.size());
    for (double[] p : points) {
      coords.add(String.format(Locale.ROOT, "%.1f,%.1f", p[0], p[1]));
    }
    svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" points=\"%s\"/>%n",
        color, strokeWidth, String.join(" ", coords)));
  }

  @Override
  public void text(double x, double y, String text, int size, boolean bold, Anchor anchor) {
    svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\"%s%s%s>%s</text>%n", x, y,
        size == 12 ? "" : " font-size=\"" + size + "\"", bold ? " font-weight=\"bold\"" : "",
        anchor == Anchor.START ? "" : anchor == Anchor.MIDDLE ? " text-anchor=\"middle\"" : " text-anchor=\"end\"",
        escape(text)));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
