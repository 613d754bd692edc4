package absorb.news;

import absorb.AbsorbException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Loading and selecting the news items a pipeline stage works on. */
public final class NewsSets {
    private NewsSets() {}

    /** The items of a New News file, refused with its problems when the validator finds any. */
    public static List<NewsItem> load(Path file) {
        try {
            return NewsDataset.load(file, true);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read New News file " + file + ": " + e.getMessage() + ".");
        }
    }

    /** The items of the named domains (all when {@code domains} is null); a domain the file lacks is refused. */
    public static List<NewsItem> select(List<NewsItem> items, List<String> domains) {
        if (domains == null) return items;
        Set<String> present = new TreeSet<>();
        items.forEach(i -> present.add(i.domain()));
        for (String d : domains) {
            if (!present.contains(d.strip())) {
                throw new AbsorbException("--domains " + d + " has no items in this file; its domains are "
                        + String.join(", ", present) + ".");
            }
        }
        Set<String> keep = new TreeSet<>(domains.stream().map(String::strip).toList());
        return items.stream().filter(i -> keep.contains(i.domain())).toList();
    }
}
