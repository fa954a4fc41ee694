package io.herald;

import io.herald.bench.BenchCommand;
import io.herald.bench.SoakCommand;
import io.herald.cli.PublishCommand;
import io.herald.cli.RunCommand;
import io.herald.cli.TokenCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code herald} command line: {@code run}, {@code token}, {@code publish}, {@code bench}, {@code soak}. */
@Command(name = "herald", mixinStandardHelpOptions = true, version = "herald 0.1.0",
    description = "Herald: real-time notification gateway (WebSocket) on Vert.x.",
    subcommands = {RunCommand.class, TokenCommand.class, PublishCommand.class, BenchCommand.class,
        SoakCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new Main());
    // scripts/bench appends its caller's options to a run's own: the last occurrence wins.
    commandLine.getSubcommands().get("bench").setOverwrittenOptionsAllowed(true);
    int exit = commandLine.execute(args);
    if (exit != 0 || !RunCommand.isRunning()) {
      System.exit(exit);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
