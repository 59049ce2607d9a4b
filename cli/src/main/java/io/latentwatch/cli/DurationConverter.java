package io.latentwatch.cli;

import picocli.CommandLine;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type them: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 1m30s}, or ISO-8601 {@code PT30S}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String s = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("pt") || s.startsWith("p")) {
            try {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30s, 2m, 1m30s, PT30S)");
            }
        }
        if (s.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(s)); // bare number: seconds
        Matcher m = PART.matcher(s);
        int pos = 0;
        double millis = 0;
        while (m.find() && m.start() == pos) {
            double n = Double.parseDouble(m.group(1));
            millis += n * switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> 86_400_000;
            };
            pos = m.end();
        }
        if (s.isEmpty() || pos != s.length()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30s, 2m, 1m30s, PT30S)");
        }
        return Duration.ofMillis(Math.round(millis));
    }
}
