package absorb.news;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a New News file: one JSON item per line, blank lines ignored. */
public final class NewsDataset {
    /** The benchmark shipped with absorb. */
    public static final Path BUNDLED = Path.of("data/newnews/news.jsonl");

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private NewsDataset() {}

    public static List<NewsItem> load(Path file) throws IOException {
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
