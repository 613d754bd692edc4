package absorb.cli;

import absorb.io.Hashes;
import absorb.news.NewsDataset;
import absorb.news.NewsItem;
import absorb.news.NewsSets;
import absorb.news.Prompts;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The New News data a command works on: the items file, the domains kept, and the prompt templates. */
final class NewsOptions {
    @Option(names = "--data", paramLabel = "FILE",
            description = "New News file (default: the bundled benchmark, data/newnews/news.jsonl).")
    Path data;

    @Option(names = "--domains", split = ",", paramLabel = "LIST", description = "Keep only these domains.")
    List<String> domains;

    @Option(names = "--prompts", paramLabel = "DIR",
            description = "Prompt templates (default data/newnews/prompts; copy it to change the wording).")
    Path prompts;

    Path dataFile() {
        return data != null ? data : Home.resolve(NewsDataset.BUNDLED);
    }

    Path promptsDir() {
        return prompts != null ? prompts : Home.resolve(Path.of("data/newnews/prompts"));
    }

    List<NewsItem> items() {
        return NewsSets.select(NewsSets.load(dataFile()), domains);
    }

    Prompts prompts() {
        return Prompts.load(promptsDir());
    }

    /** The data's identity, for config.json: file, its hash, the domains, the templates' hash. */
    void describe(ObjectNode config) {
        config.put("data", dataFile().toAbsolutePath().normalize().toString());
        config.put("data_sha256", Hashes.sha256(dataFile()));
        if (domains != null) config.put("domains", String.join(",", domains));
        config.put("prompts", promptsDir().toAbsolutePath().normalize().toString());
        config.put("prompts_sha256", Hashes.sha256Folder(promptsDir()));
    }
}
