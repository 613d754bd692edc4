package absorb.news;

import absorb.AbsorbException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a New News file (one JSON item per line) after {@link NewsValidator} has found nothing wrong with it. */
public final class NewsDataset {
    /** The benchmark shipped with absorb. */
    public static final Path BUNDLED = Path.of("data/newnews/news.jsonl");

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private NewsDataset() {}

    /** The items of {@code file}; a file with problems is refused, naming the first ones. */
    public static List<NewsItem> load(Path file) throws IOException {
        return load(file, false);
    }

    /** As {@link #load(Path)}; with {@code anyDomain} the items may name domains other than the benchmark's five. */
    public static List<NewsItem> load(Path file, boolean anyDomain) throws IOException {
        NewsValidator.Report report = NewsValidator.validate(file, false, anyDomain);
        if (!report.ok()) {
            List<String> p = report.problems();
            throw new AbsorbException("New News file " + file + " has " + p.size() + " problem(s), first: "
                    + String.join("; ", p.subList(0, Math.min(3, p.size())))
                    + " (run ./absorb newnews validate " + file + " for all).");
        }
        List<NewsItem> items = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                items.add(JSON.readValue(line, NewsItem.class));
            } catch (JsonProcessingException e) {
                throw new IOException(file + " line " + (i + 1) + ": " + e.getOriginalMessage(), e);
            }
        }
        return items;
    }
}
