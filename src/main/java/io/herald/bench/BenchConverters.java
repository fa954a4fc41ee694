package io.herald.bench;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** How {@code herald bench} reads its option values: durations, rates, shares, scenario and ingress names. */
final class BenchConverters {

  private BenchConverters() {
  }

  /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or a number of seconds. */
  static Duration duration(String value) {
    String t = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      char unit = t.charAt(t.length() - 1);
      if (Character.isDigit(unit)) {
        return Duration.ofMillis((long) (Double.parseDouble(t) * 1000));
      }
      double n = Double.parseDouble(t.substring(0, t.length() - 1));
      switch (unit) {
        case 's':
          return Duration.ofMillis((long) (n * 1000));
        case 'm':
          return Duration.ofMillis((long) (n * 60_000));
        case 'h':
          return Duration.ofMillis((long) (n * 3_600_000));
        default:
          throw new NumberFormatException();
      }
    } catch (RuntimeException e) {
      throw new TypeConversionException("a duration like 500ms, 30s, 5m: " + value);
    }
  }

  /** A positive number per second, or {@code max} (returned as 0). */
  static double rate(String value) {
    if ("max".equalsIgnoreCase(value.trim())) {
      return 0;
    }
    try {
      double r = Double.parseDouble(value.trim());
      if (r > 0) {
        return r;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new TypeConversionException("a positive number or max: " + value);
  }

  /** A share as a percentage ({@code 10%}) or a fraction ({@code 0.1}). */
  static double share(String value) {
    String t = value.trim();
    try {
      return t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1).trim()) / 100 : Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw new TypeConversionException("a share like 10% or 0.1: " + value);
    }
  }

  static <E extends Enum<E>> E named(Class<E> type, String value) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException("unknown value " + value);
    }
  }

  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return duration(value);
    }
  }

  static final class RateConverter implements ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      return rate(value);
    }
  }

  static final class ShareConverter implements ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      return share(value);
    }
  }

  static final class ScenarioConverter implements ITypeConverter<BenchConfig.Scenario> {
    @Override
    public BenchConfig.Scenario convert(String value) {
      return named(BenchConfig.Scenario.class, value);
    }
  }

  static final class IngressConverter implements ITypeConverter<BenchConfig.Ingress> {
    @Override
    public BenchConfig.Ingress convert(String value) {
      return named(BenchConfig.Ingress.class, value);
    }
  }
}
