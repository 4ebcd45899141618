package org.policyrouter.hooks.state;

/** A store as the checks that name it share it: the engine and what its callers know of its outages. */
public final class SharedStore implements AutoCloseable {
    private final StateStore store;
    private final StoreOutage outage;

    SharedStore(StateStore store) {
        this.store = store;
        this.outage = new StoreOutage(store.describe(), StoreOutage.PROBE_INTERVAL);
    }

    public StateStore store() {
        return store;
    }

    public StoreOutage outage() {
        return outage;
    }

    @Override
    public void close() {
        store.close();
    }
}
