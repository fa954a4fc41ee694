package io.herald.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** The run's chart ({@link BenchChart}) as a PNG image: java.awt in headless mode, encoded by javax.imageio. */
public final class PngPlot implements ChartCanvas {

  private final Graphics2D g;

  private PngPlot(Graphics2D g) {
    this.g = g;
  }

  public static void write(String title, List<BenchResult.Point> points, Path file) throws IOException {
    // No display is needed, nor wanted: the generator often runs where there is none.
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(BenchChart.WIDTH, BenchChart.HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
      BenchChart.draw(new PngPlot(g), title, points);
    } finally {
      g.dispose();
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer in this Java runtime");
    }
  }

  @Override
  public void fill(double x, double y, double width, double height, String color) {
    g.setColor(Color.decode(color));
    g.fill(new Rectangle2D.Double(x, y, width, height));
  }

  @Override
  public void outline(double x, double y, double width, double height, String color) {
    g.setColor(Color.decode(color));
    g.setStroke(new BasicStroke(1f));
    g.draw(new Rectangle2D.Double(x, y, width, height));
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, String color) {
    g.setColor(Color.decode(color));
    g.setStroke(new BasicStroke(1f));
    g.draw(new Line2D.Double(x1, y1, x2, y2));
  }

  @Override
  public void polyline(List<double[]> points, String color, double strokeWidth) {
    Path2D.Double path = new Path2D.Double();
    path.moveTo(points.get(0)[0], points.get(0)[1]);
    for (double[] p : points.subList(1, points.size())) {
      path.lineTo(p[0], p[1]);
    }
    g.setColor(Color.decode(color));
    g.setStroke(new BasicStroke((float) strokeWidth, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.draw(path);
  }

  @Override
  public void text(double x, double y, String text, int size, boolean bold, Anchor anchor) {
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, size));
    FontMetrics metrics = g.getFontMetrics();
    double width = metrics.stringWidth(text);
    double left = anchor == Anchor.START ? x : anchor == Anchor.MIDDLE ? x - width / 2 : x - width;
    g.drawString(text, (float) left, (float) y);
  }
}
