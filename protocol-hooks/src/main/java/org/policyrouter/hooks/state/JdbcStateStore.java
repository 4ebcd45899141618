package org.policyrouter.hooks.state;
/** TEMPORARY STUB until the helper's branch is merged. */
public final class JdbcStateStore implements StateStore {
    public JdbcStateStore(String url, String user, String password, String prefix, java.time.Duration timeout, java.util.function.LongSupplier clock) { throw new UnsupportedOperationException("stub"); }
    public java.util.concurrent.CompletableFuture<java.util.Optional<GreylistRecord>> findTriplet(String key) { return null; }
    public java.util.concurrent.CompletableFuture<Void> saveTriplet(String key, GreylistRecord record) { return null; }
    public java.util.concurrent.CompletableFuture<Long> addToWindow(String key, long amount, java.time.Duration window) { return null; }
    public java.util.concurrent.CompletableFuture<Integer> openSlot(String key, String slotId, java.time.Duration ttl) { return null; }
    public java.util.concurrent.CompletableFuture<Void> closeSlot(String key, String slotId) { return null; }
    public String describe() { return "stub"; }
    public void close() { }
}
