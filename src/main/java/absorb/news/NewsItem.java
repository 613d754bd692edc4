package absorb.news;

import java.util.List;

/** One New News item: a piece of hypothetical news and the questions that need it. */
public record NewsItem(String id, String domain, String title, String news, List<Question> questions) {

    /** A multiple-choice question; {@code answer} indexes {@code options}. */
    public record Question(String id, String question, List<String> options, int answer, String rationale) {
        public String correctOption() {
            return options.get(answer);
        }
    }
}
