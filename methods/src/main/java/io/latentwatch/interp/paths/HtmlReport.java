package io.latentwatch.interp.paths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A small self-contained HTML report: headings, paragraphs, tables and PNG images beside the file. */
public final class HtmlReport {
    private final StringBuilder body = new StringBuilder();
    private final String title;

    public HtmlReport(String title) {
        this.title = title;
        body.append("<h1>").append(esc(title)).append("</h1>\n");
    }

    public HtmlReport h2(String s) { body.append("<h2>").append(esc(s)).append("</h2>\n"); return this; }

    public HtmlReport p(String s) { body.append("<p>").append(esc(s)).append("</p>\n"); return this; }

    public HtmlReport pre(String s) { body.append("<pre>").append(esc(s)).append("</pre>\n"); return this; }

    public HtmlReport table(List<String> header, List<List<String>> rows) {
        body.append("<table><tr>");
        for (String h : header) body.append("<th>").append(esc(h)).append("</th>");
        body.append("</tr>\n");
        for (List<String> r : rows) {
            body.append("<tr>");
            for (String c : r) body.append("<td>").append(esc(c)).append("</td>");
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    public HtmlReport img(String file, String caption) {
        body.append("<figure><img src=\"").append(esc(file)).append("\" alt=\"").append(esc(caption)).append("\"><figcaption>")
                .append(esc(caption)).append("</figcaption></figure>\n");
        return this;
    }

    public void write(Path file) throws IOException {
        String html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title><style>"
                + "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:left}th{background:#eee}"
                + "figure{display:inline-block;margin:8px}img{max-width:100%}pre{background:#f6f6f6;padding:8px;overflow-x:auto}"
                + "</style></head><body>\n" + body + "</body></html>\n";
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, html);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public static String pct(double v) { return Double.isNaN(v) ? "n/a" : String.format("%.1f%%", 100 * v); }

    public static String num(double v) { return String.format("%.4f", v); }
}
