package org.policyrouter.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SharedResourcesTest {
    private final List<String> events = new ArrayList<>();
    private final SharedResources<String, AutoCloseable> shared = new SharedResources<>();

    private AutoCloseable resource(String name) {
        events.add("created " + name);
        return () -> events.add("closed " + name);
    }

    @Test
    void holdersOfOneKeyShareOneObjectClosedByTheLastOneOut() {
        SharedResources.Lease<AutoCloseable> first = shared.acquire("dns", () -> resource("dns"));
        SharedResources.Lease<AutoCloseable> second = shared.acquire("dns", () -> resource("other"));

        assertThat(first.get()).isSameAs(second.get());
        first.close();
        first.close();
        assertThat(events).containsExactly("created dns");
        second.close();
        assertThat(events).containsExactly("created dns", "closed dns");
        assertThat(shared.size()).isZero();
    }

    @Test
    void anObjectNobodyUsedIsNeitherCreatedNorClosed() {
        shared.acquire("unused", () -> resource("unused")).close();

        assertThat(events).isEmpty();
    }

    @Test
    void aReleasedLeaseGivesNothing() {
        SharedResources.Lease<AutoCloseable> lease = shared.acquire("dns", () -> resource("dns"));
        lease.close();

        assertThatThrownBy(lease::get).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theNextHolderAfterTheLastOneOutGetsANewObject() {
        SharedResources.Lease<AutoCloseable> first = shared.acquire("dns", () -> resource("one"));
        first.get();
        first.close();
        shared.acquire("dns", () -> resource("two")).get();

        assertThat(events).containsExactly("created one", "closed one", "created two");
    }
}
