package absorb.news;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.io.JsonLines;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The pipeline's data in the formats other tools read: the generated System-2 data as the JSONL that Hugging Face
 * TRL's SFT trainer takes, and the benchmark as lm-evaluation-harness tasks (a YAML file and a JSONL file per task).
 */
public final class NewsExport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private NewsExport() {}

    /**
     * One file per protocol of the run's generated data ({@code generate/<protocol>/train.jsonl}): Self-QA as TRL's
     * conversational format ({"messages": [...]}), the others as its language-modelling format ({"text": ...}).
     * Returns the files written.
     */
    public static List<Path> trl(Path run, Path out) {
        Path gen = run.resolve("generate");
        if (!Files.isDirectory(gen)) throw new AbsorbException("Run " + run + " has no generated data (no generate/ folder).");
        List<Path> written = new ArrayList<>();
        try (Stream<Path> s = Files.list(gen)) {
            for (Path p : s.sorted().toList()) {
                Path train = p.resolve("train.jsonl");
                if (!Files.isRegularFile(train)) continue;
                StringBuilder b = new StringBuilder();
                for (JsonNode e : JsonLines.read(train)) {
                    ObjectNode o = JSON.createObjectNode();
                    if (e.has("messages")) o.set("messages", e.get("messages"));
                    else o.put("text", e.path("text").asText());
                    b.append(o).append('\n');
                }
                Path f = out.resolve(p.getFileName() + ".jsonl");
                AtomicFile.writeString(f, b.toString());
                written.add(f);
            }
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + gen + ": " + e.getMessage() + ".");
        }
        if (written.isEmpty()) throw new AbsorbException("Run " + run + " has no finished generation to export.");
        return written;
    }

    /**
     * lm-evaluation-harness tasks, one per condition and form: {@code newnews_<condition>_options} scores each
     * option's text after the continuation template (the task absorb's continuation scoring computes: same context,
     * same " " + option), and {@code newnews_<condition>_letters} scores the letters after the question with its
     * lettered options and "Answer:", one document per cyclic order. Returns the task names.
     */
    public static List<String> lmEval(List<NewsItem> items, Prompts prompts, int permutations, Path out) {
        List<String> tasks = new ArrayList<>();
        for (NewsEvaluation.Condition c : NewsEvaluation.Condition.values()) {
            String cond = c.label.replace('-', '_');
            StringBuilder options = new StringBuilder(), letters = new StringBuilder();
            for (NewsItem item : items) {
                for (NewsItem.Question q : item.questions()) {
                    ObjectNode d = JSON.createObjectNode();
                    d.put("id", q.id());
                    d.put("domain", item.domain());
                    d.put("context", NewsEvaluation.continuationContext(prompts, item, q, c));
                    d.set("choices", JSON.valueToTree(q.options()));
                    d.put("answer", q.answer());
                    options.append(d).append('\n');
                    for (int k = 0; k < permutations; k++) {
                        int[] order = NewsEvaluation.order(k, q.options().size());
                        List<String> shown = new ArrayList<>();
                        int answer = -1;
                        for (int p = 0; p < order.length; p++) {
                            shown.add(q.options().get(order[p]));
                            if (order[p] == q.answer()) answer = p;
                        }
                        ObjectNode l = JSON.createObjectNode();
                        l.put("id", q.id() + "-p" + k);
                        l.put("domain", item.domain());
                        l.put("context", NewsEvaluation.userTurn(prompts, item, q, shown, c) + "\nAnswer:");
                        l.set("choices", JSON.valueToTree(Prompts.LETTERS));
                        l.put("answer", answer);
                        letters.append(l).append('\n');
                    }
                }
            }
            tasks.add(task(out, "newnews_" + cond + "_options", options.toString()));
            tasks.add(task(out, "newnews_" + cond + "_letters", letters.toString()));
        }
        return tasks;
    }

    private static String task(Path out, String name, String docs) {
        Path data = out.resolve(name + ".jsonl").toAbsolutePath().normalize();
        AtomicFile.writeString(data, docs);
        String yaml = "task: " + name + "\n"
                + "dataset_path: json\n"
                + "dataset_kwargs:\n"
                + "  data_files:\n"
                + "    test: " + JSON.valueToTree(data.toString()) + "\n"
                + "test_split: test\n"
                + "output_type: multiple_choice\n"
                + "doc_to_text: \"{{context}}\"\n"
                + "doc_to_choice: \"{{choices}}\"\n"
                + "doc_to_target: \"{{answer}}\"\n"
                + "target_delimiter: \" \"\n"
                + "metric_list:\n"
                + "  - metric: acc\n"
                + "    aggregation: mean\n"
                + "    higher_is_better: true\n"
                + "  - metric: acc_norm\n"
                + "    aggregation: mean\n"
                + "    higher_is_better: true\n"
                + "metadata:\n"
                + "  version: 1.0\n";
        AtomicFile.writeString(out.resolve(name + ".yaml"), yaml);
        return name;
    }
}
