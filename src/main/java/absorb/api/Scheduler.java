package absorb.api;

import absorb.model.LanguageModel;
import absorb.model.LoraAdapter;
import absorb.model.StepDecoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the served model on one thread, with continuous batching: requests that arrive while a batch decodes join it at
 * the next step (up to {@code maxRows} rows, their prompts prefilled together up to {@code maxPrefillTokens}); rows
 * leave as they finish. An adapter is attached to the whole model, so one batch serves one adapter (or the base
 * model): while requests for another wait, the batch admits no more and drains, and the adapter of the oldest waiting
 * request is attached next.
 */
final class Scheduler implements AutoCloseable {

    /** One sequence to decode (a choice of a request), for a model name's adapter (null: the base model). */
    static final class Job {
        final String adapter;
        final StepDecoder.Request request;
        final Choice choice;
        volatile boolean finished;

        Job(String adapter, StepDecoder.Request request, Choice choice) {
            this.adapter = adapter;
            this.request = request;
            this.choice = choice;
        }

        String adapter() {
            return adapter;
        }

        StepDecoder.Request request() {
            return request;
        }

        Choice choice() {
            return choice;
        }
    }

    /** Receives a job's results; {@link #fail} when the model failed while running it. */
    interface Choice extends StepDecoder.Listener {
        void fail(RuntimeException e);
    }

    private final LanguageModel lm;
    private final Map<String, Path> adapters;
    private final int maxRows, maxPrefillTokens;
    private final ConcurrentLinkedQueue<List<Job>> inbox = new ConcurrentLinkedQueue<>();
    private final List<Job> waiting = new ArrayList<>();
    private final List<Job> running = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closing;
    private StepDecoder decoder;
    private String attached;
    private volatile long steps, tokens, admitted;
    private volatile int peakRows;

    Scheduler(LanguageModel lm, Map<String, Path> adapters, int maxRows, int maxPrefillTokens) {
        this.lm = lm;
        this.adapters = new LinkedHashMap<>(adapters);
        this.maxRows = maxRows;
        this.maxPrefillTokens = maxPrefillTokens;
        this.decoder = new StepDecoder(lm.transformer(), lm.tokenizer());
        this.thread = new Thread(this::loop, "absorb-scheduler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues the jobs of one request (its choices start together). */
    void submit(List<Job> jobs) {
        if (closing) throw new ApiError(503, "server_error", "The server is shutting down.", null, null);
        inbox.add(List.copyOf(jobs));
        LockSupport.unpark(thread);
    }

    /** Decoding steps, tokens read and written, requests admitted, and the most rows decoded together so far. */
    Map<String, Long> stats() {
        return Map.of("steps", steps, "tokens", tokens, "admitted", admitted, "peak_rows", (long) peakRows);
    }

    private void loop() {
        while (true) {
            for (List<Job> jobs; (jobs = inbox.poll()) != null; ) waiting.addAll(jobs);
            if (running.isEmpty() && waiting.isEmpty()) {
                if (closing) return;
                LockSupport.parkNanos(50_000_000L);
                continue;
            }
            try {
                admit();
                decoder.step();
                steps = decoder.steps();
                tokens = decoder.tokens();
                peakRows = Math.max(peakRows, decoder.size());
            } catch (RuntimeException e) {
                for (Job j : running) j.choice().fail(e);
                running.clear();
                decoder.close();
                decoder = new StepDecoder(lm.transformer(), lm.tokenizer());
            }
            running.removeIf(j -> j.finished);
        }
    }

    /** Starts the waiting jobs the running batch can take. */
    private void admit() {
        if (waiting.isEmpty()) return;
        running.removeIf(j -> j.finished);
        if (running.isEmpty() && decoder.size() == 0) {
            String next = waiting.get(0).adapter();
            try {
                attach(next);
            } catch (RuntimeException e) {
                // an adapter that no longer loads fails its requests, not the server
                for (Iterator<Job> it = waiting.iterator(); it.hasNext(); ) {
                    Job j = it.next();
                    if (java.util.Objects.equals(j.adapter(), next)) {
                        it.remove();
                        j.choice().fail(e);
                    }
                }
                return;
            }
        }
        for (Job j : waiting) {
            if (!java.util.Objects.equals(j.adapter(), attached)) {
                if (!running.isEmpty()) return; // another adapter waits: drain first
            }
        }
        List<StepDecoder.Pending> batch = new ArrayList<>();
        int rows = decoder.size(), prefill = 0;
        for (Iterator<Job> it = waiting.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (!java.util.Objects.equals(j.adapter(), attached)) continue;
            int length = j.request().prompt().length;
            if (rows >= maxRows || (!batch.isEmpty() && prefill + length > maxPrefillTokens)) break;
            it.remove();
            if (j.choice().cancelled()) continue;
            batch.add(new StepDecoder.Pending(j.request(), new Tracked(j)));
            running.add(j);
            rows++;
            prefill += length;
        }
        admitted += batch.size();
        if (!batch.isEmpty()) decoder.admit(batch);
    }

    /** The base model, or the named adapter, attached to the whole model. */
    private void attach(String adapter) {
        if (java.util.Objects.equals(adapter, attached)) return;
        if (attached != null) LoraAdapter.detach(lm.transformer());
        attached = null;
        if (adapter != null) LoraAdapter.load(adapters.get(adapter), lm.transformer());
        attached = adapter;
    }

    /** Forwards a job's results and marks it finished. */
    private static final class Tracked implements StepDecoder.Listener {
        private final Job job;

        Tracked(Job job) {
            this.job = job;
        }

        @Override
        public void onPrompt(List<StepDecoder.TokenScores> scores) {
            job.choice().onPrompt(scores);
        }

        @Override
        public void onToken(long id, String delta, StepDecoder.TokenScores scores) {
            job.choice().onToken(id, delta, scores);
        }

        @Override
        public void onFinish(String reason, String text, long[] tokens) {
            job.finished = true;
            job.choice().onFinish(reason, text, tokens);
        }

        @Override
        public boolean cancelled() {
            boolean gone = job.choice().cancelled();
            if (gone) job.finished = true;
            return gone;
        }
    }

    /** Stops taking requests, finishes those queued and running, and stops the thread. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        decoder.close();
        if (attached != null) LoraAdapter.detach(lm.transformer());
    }
}
