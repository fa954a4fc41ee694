package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK the scripts run Herald on (scripts/java-select, used by scripts/herald, scripts/fleet and scripts/bench):
 * the newest present, HERALD_JAVA_HOME overriding, and a node's JVM options chosen for it. Fake JDKs (a
 * {@code bin/java} script that prints its arguments, a {@code release} file) in a temporary directory stand for
 * /usr/lib/jvm, so the choice is tested whatever this machine has installed. An IT: it runs bash and the scripts.
 */
class JavaSelectionIT {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path SCRIPTS = ROOT.resolve("scripts");

  @TempDir
  Path dir;

  /** Stands for /usr/lib/jvm. */
  private Path jvms;

  /** The PATH of the selection runs: the tools the library uses, and no java unless a test puts one there. */
  private Path tools;

  @BeforeEach
  void tools() throws IOException, InterruptedException {
    jvms = Files.createDirectories(dir.resolve("jvm"));
    tools = Files.createDirectories(dir.resolve("tools"));
    for (String tool : List.of("sed", "dirname", "readlink", "cat")) {
      Path real = Path.of(run(List.of("bash", "-c", "command -v " + tool), Map.of()).output().trim());
      Files.createSymbolicLink(tools.resolve(tool), real);
    }
  }

  @Test
  void theNewestJdkOfTheDirectoryWins() throws Exception {
    fakeJdk(jvms.resolve("java-17-openjdk-amd64"), "17.0.15", true);
    fakeJdk(jvms.resolve("temurin-25-jdk-amd64"), "25.0.3", true);
    fakeJdk(jvms.resolve("jdk-21"), "21.0.2", false); // no release file: its version from java -version
    Files.createDirectories(jvms.resolve("openjdk-17")); // Debian's directory without a bin/java
    Files.createSymbolicLink(jvms.resolve("java-1.17.0-openjdk-amd64"), jvms.resolve("java-17-openjdk-amd64"));
    Selection s = select(Map.of());
    assertEquals(jvms.resolve("temurin-25-jdk-amd64/bin/java").toString(), s.java());
    assertEquals("25", s.feature());
    assertEquals(options("node-jvm-options-25"), s.options());
    assertTrue(s.options().contains("-XX:+UseZGC"), s.options());
  }

  @Test
  void aJdkWithoutItsReleaseFileIsAskedItsVersion() throws Exception {
    fakeJdk(jvms.resolve("java-17-openjdk-amd64"), "17.0.15", true);
    fakeJdk(jvms.resolve("jdk-21"), "21.0.2", false);
    Selection s = select(Map.of());
    assertEquals(jvms.resolve("jdk-21/bin/java").toString(), s.java());
    assertEquals("21", s.feature());
    assertEquals(options("node-jvm-options"), s.options(), "Java 21 still runs the Java 17 options");
  }

  @Test
  void theJavaOnThePathCountsWhenItIsNewer() throws Exception {
    fakeJdk(jvms.resolve("java-17-openjdk-amd64"), "17.0.15", true);
    Path onPath = fakeJdk(dir.resolve("opt/jdk-26"), "26.0.1", true);
    Selection s = select(Map.of("PATH", onPath.resolve("bin") + ":" + tools));
    assertEquals(onPath.resolve("bin/java").toRealPath().toString(), s.java());
    assertEquals(options("node-jvm-options-25"), s.options(), "the options of the greatest version not above 26");
  }

  @Test
  void withoutNewerJdkJava17RunsTheParallelOptions() throws Exception {
    Path onPath = fakeJdk(dir.resolve("usr/lib/jvm/java-17"), "17.0.15", true);
    Selection s = select(Map.of("PATH", onPath.resolve("bin") + ":" + tools));
    assertEquals(onPath.resolve("bin/java").toRealPath().toString(), s.java());
    assertEquals("17", s.feature());
    assertEquals(options("node-jvm-options"), s.options());
    assertTrue(s.options().contains("-XX:+UseParallelGC"), s.options());
  }

  @Test
  void heraldJavaHomeOverridesTheNewest() throws Exception {
    Path java17 = fakeJdk(jvms.resolve("java-17-openjdk-amd64"), "17.0.15", true);
    fakeJdk(jvms.resolve("temurin-25-jdk-amd64"), "25.0.3", true);
    Selection s = select(Map.of("HERALD_JAVA_HOME", java17.toString()));
    assertEquals(java17.resolve("bin/java").toString(), s.java());
    assertEquals(options("node-jvm-options"), s.options());
  }

  @Test
  void aHeraldJavaHomeWithoutJavaOrNoJdkAtAllIsSaid() throws Exception {
    Run wrong = run(selection(), env(Map.of("HERALD_JAVA_HOME", dir.resolve("nothing").toString())));
    assertEquals(1, wrong.exit(), wrong.output());
    assertTrue(wrong.output().contains("HERALD_JAVA_HOME=" + dir.resolve("nothing") + ": no bin/java there"), wrong.output());
    Run none = run(selection(), env(Map.of()));
    assertEquals(1, none.exit(), none.output());
    assertTrue(none.output().contains("no JDK found"), none.output());
  }

  /** scripts/herald runs the chosen java: with a node's options for `run`, without them for the other commands. */
  @Test
  void scriptsHeraldRunsTheChosenJavaWithItsNodeOptions() throws Exception {
    Path java25 = fakeJdk(dir.resolve("temurin-25"), "25.0.3", true);
    Path java17 = fakeJdk(dir.resolve("java-17"), "17.0.15", true);
    String jar = ROOT.resolve("target/herald.jar").toString();

    Run version = herald(java25, "--version");
    assertEquals(0, version.exit(), version.output());
    assertEquals(List.of("launched " + java25.resolve("bin/java"), "arg -jar", "arg " + jar, "arg --version"),
        version.output().lines().toList());

    Run node25 = herald(java25, "run", "--dev");
    assertEquals(0, node25.exit(), node25.output());
    List<String> expected = new ArrayList<>(List.of("launched " + java25.resolve("bin/java")));
    for (String option : options("node-jvm-options-25").split(" ")) {
      expected.add("arg " + option);
    }
    expected.addAll(List.of("arg -jar", "arg " + jar, "arg run", "arg --dev"));
    assertEquals(expected, node25.output().lines().toList());

    Run node17 = herald(java17, "run");
    assertTrue(node17.output().contains("arg -XX:+UseParallelGC"), node17.output());
    assertFalse(node17.output().contains("UseZGC"), node17.output());
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private record Selection(String java, String feature, String options) {
  }

  private record Run(int exit, String output) {
  }

  /** A fake JDK at HOME: bin/java answers -version like a JDK of VERSION and otherwise prints its arguments. */
  private static Path fakeJdk(Path home, String version, boolean releaseFile) throws IOException {
    Path bin = Files.createDirectories(home.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\n"
        + "if [ \"$1\" = -version ]; then echo 'openjdk version \"" + version + "\" 2026-01-20' >&2; exit 0; fi\n"
        + "echo \"launched $0\"\n"
        + "for a in \"$@\"; do echo \"arg $a\"; done\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (releaseFile) {
      Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n", StandardCharsets.UTF_8);
    }
    return home;
  }

  private static String options(String file) throws IOException {
    return Files.readString(SCRIPTS.resolve(file), StandardCharsets.UTF_8).trim();
  }

  private static List<String> selection() {
    return List.of("/bin/bash", "-c", ". \"$1\"; select_java || exit 1; echo \"$herald_java\"; echo \"$herald_java_feature\"; "
        + "node_jvm_options", "select", SCRIPTS.resolve("java-select").toString());
  }

  private Selection select(Map<String, String> extra) throws Exception {
    Run r = run(selection(), env(extra));
    assertEquals(0, r.exit(), r.output());
    List<String> lines = r.output().lines().toList();
    assertEquals(3, lines.size(), r.output());
    return new Selection(lines.get(0), lines.get(1), lines.get(2).trim());
  }

  /** The selection's environment: the fake JVM directory, a PATH without java, no inherited override. */
  private Map<String, String> env(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("HERALD_JVM_DIR", jvms.toString(), "PATH", tools.toString()));
    env.putAll(extra);
    return env;
  }

  private Run herald(Path javaHome, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(SCRIPTS.resolve("herald").toString()));
    command.addAll(List.of(args));
    return run(command, Map.of("HERALD_JAVA_HOME", javaHome.toString()));
  }

  /** Runs COMMAND with ENV added to this JVM's environment (HERALD_JAVA_HOME, HERALD_JAVA_OPTS, HERALD_JVM_DIR removed). */
  private static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeAll(List.of("HERALD_JAVA_HOME", "HERALD_JAVA_OPTS", "HERALD_JVM_DIR"));
    pb.environment().putAll(env);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not end in 30 s:\n" + output);
    }
    return new Run(process.exitValue(), output);
  }
}
