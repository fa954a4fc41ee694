package io.herald.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code herald bench}: the load generator and its report. The run's options are the fields of {@link BenchConfig}
 * (a mixin); this command adds only where the report goes. Loopback targets only; every run bounded in count and time.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmark a Herald node (or a fleet) on this machine: connections, deliveries, latency, server CPU and memory.",
        "Scenarios: connect, user, topic, broadcast, mixed, recover. Exit code 1 when a notification was lost or duplicated."})
public final class BenchCommand implements Callable<Integer> {

  @Mixin
  BenchConfig config;

  @Option(names = "--json", description = "Print one JSON line with the results on stdout (the table goes to stderr).")
  boolean json;

  @Option(names = "--plot", paramLabel = "FILE.svg|FILE.png",
      description = "Write latency-over-time and throughput-over-time charts, as SVG or PNG by the file's extension; repeatable.")
  List<Path> plots = new ArrayList<>();

  /**
   * Runs {@code bench} alone: how a multi-process run starts its generator processes, so that the harness needs
   * nothing of the gateway's command line.
   */
  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new BenchCommand());
    commandLine.setOverwrittenOptionsAllowed(true);
    System.exit(commandLine.execute(args));
  }

  @Override
  public Integer call() throws Exception {
    BenchResult result;
    try {
      config.validate();
      for (Path plot : plots) {
        chartFormat(plot);
      }
      result = config.generatorProcesses > 1 ? new GeneratorProcesses(config, System.err::println).run()
          : new BenchRunner(config, System.err::println).run();
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("herald bench: " + e.getMessage());
      return 2;
    }
    if (json) {
      System.err.print(result.table());
      System.out.println(result.json().encode());
    } else {
      System.out.print(result.table());
    }
    String title = "herald bench " + config.scenario.label()
        + (config.scenario == BenchConfig.Scenario.CONNECT ? "" : " via " + config.ingress.label())
        + ", " + config.connections + " connections" + (config.targetPorts().size() > 1 ? " on " + config.targetPorts().size() + " nodes" : "")
        + ", rate " + (config.maxRate() ? "max" : String.format(Locale.ROOT, "%.0f/s", config.rate));
    for (Path plot : plots) {
      try {
        if (plot.getParent() != null) {
          Files.createDirectories(plot.getParent());
        }
        if (chartFormat(plot).equals("png")) {
          PngPlot.write(title, result.series(), plot);
        } else {
          Files.writeString(plot, SvgPlot.render(title, result.series()), StandardCharsets.UTF_8);
        }
      } catch (IOException e) {
        System.err.println("herald bench: cannot write " + plot + ": " + e.getMessage());
        return 2;
      }
    }
    return result.lost() > 0 || result.duplicated() > 0 ? 1 : 0;
  }

  /** svg or png, from the file name; anything else is refused before the run. */
  static String chartFormat(Path plot) {
    String name = plot.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".svg")) {
      return "svg";
    }
    if (name.endsWith(".png")) {
      return "png";
    }
    throw new IllegalArgumentException("--plot " + plot + ": the file name must end with .svg or .png");
  }
}
