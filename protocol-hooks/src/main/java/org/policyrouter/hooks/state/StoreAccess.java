package org.policyrouter.hooks.state;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import org.policyrouter.core.SharedResources;
import org.policyrouter.hooks.core.Deadline;
import org.policyrouter.hooks.core.Verdict;

/**
 * One check's way to its shared store: calls go through the store's {@link StoreOutage}, the hook
 * waits for answers at most {@code store_timeout} ({@link Deadline}: one deadline per hook, however
 * many calls it awaits), and a call that fails or times out yields the check's
 * {@link StoreFailure} verdict. Writes whose answer nobody needs are not awaited.
 */
public final class StoreAccess implements AutoCloseable {
    private final SharedResources.Lease<SharedStore> lease;
    private final SharedStore shared;
    private final Duration timeout;
    private final StoreFailure failure;

    StoreAccess(SharedResources.Lease<SharedStore> lease, Duration timeout, StoreFailure failure) {
        this.lease = lease;
        try {
            this.shared = lease.get();
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
        this.timeout = timeout;
        this.failure = failure;
    }

    /** A store of its own, shared with no other check: for tools and tests that bring their engine. */
    public static StoreAccess of(StateStore engine, Duration timeout, StoreFailure failure) {
        return new StoreAccess(new SharedResources<String, SharedStore>().acquire("own", () -> new SharedStore(engine)), timeout, failure);
    }

    public Deadline deadline() {
        return Deadline.after(timeout);
    }

    /** Starts a call (or refuses it at once while the store is down). */
    public <T> CompletableFuture<T> start(java.util.function.Function<StateStore, CompletableFuture<T>> call) {
        StateStore store = shared.store();
        Supplier<CompletableFuture<T>> started = () -> call.apply(store);
        return shared.outage().call(started);
    }

    /** The call's answer within the deadline; empty when it failed or is late (the outage is noted). */
    public <T> Optional<T> await(Deadline deadline, CompletableFuture<T> call) {
        Optional<T> answer = deadline.await(call);
        if (answer.isPresent()) {
            shared.outage().answered();
        } else if (!refused(call)) {
            shared.outage().failed(why(call));
        }
        return answer;
    }

    /** A write nobody waits for; its failure still counts as an outage. Answers when it is done, for what must follow it. */
    public <T> CompletableFuture<T> send(java.util.function.Function<StateStore, CompletableFuture<T>> call) {
        return start(call).whenComplete((done, error) -> {
            if (error == null) {
                shared.outage().answered();
            } else if (!(unwrap(error) instanceof StoreOutage.StoreUnavailableException)) {
                shared.outage().failed(String.valueOf(unwrap(error).getMessage()));
            }
        });
    }

    public Verdict failureVerdict() {
        return failure.verdict();
    }

    public StoreFailure failure() {
        return failure;
    }

    StateStore store() {
        return shared.store();
    }

    public String describe() {
        return shared.store().describe();
    }

    /** Refused at once because the store is known to be down: not a new failure. */
    private static boolean refused(CompletableFuture<?> call) {
        return call.isCompletedExceptionally() && call.handle((value, error) -> unwrap(error) instanceof StoreOutage.StoreUnavailableException).join();
    }

    private String why(CompletableFuture<?> call) {
        if (!call.isDone()) {
            call.cancel(false);
            return "no answer within " + timeout.toMillis() + " ms";
        }
        try {
            call.join();
            return "no answer";
        } catch (RuntimeException e) {
            return String.valueOf(unwrap(e).getMessage());
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    @Override
    public void close() {
        lease.close();
    }
}
