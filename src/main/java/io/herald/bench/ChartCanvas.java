package io.herald.bench;

import java.util.List;

/** What {@link BenchChart} draws on: the few primitives an SVG document and a raster image both offer. Colours are {@code #rrggbb}. */
interface ChartCanvas {

  /** Where a text's x coordinate sits: at its start, middle or end. */
  enum Anchor { START, MIDDLE, END }

  void fill(double x, double y, double width, double height, String color);

  void outline(double x, double y, double width, double height, String color);

  void line(double x1, double y1, double x2, double y2, String color);

  /** A line through the points, each {x, y}. */
  void polyline(List<double[]> points, String color, double strokeWidth);

  /** Text with its baseline at y. */
  void text(double x, double y, String text, int size, boolean bold, Anchor anchor);
}
