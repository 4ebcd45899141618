package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.policyrouter.policy.RelayHost;

/** Round robin across mails, per host list: each mail starts one host further along the list. */
final class RoundRobin {
    private final Map<String, AtomicInteger> next = new ConcurrentHashMap<>();

    /** The hosts in the order to try them for this mail; {@code key} names the list. */
    List<RelayHost> rotate(String key, List<RelayHost> hosts) {
        int start = Math.floorMod(next.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement(), hosts.size());
        List<RelayHost> rotated = new ArrayList<>(hosts.subList(start, hosts.size()));
        rotated.addAll(hosts.subList(0, start));
        return rotated;
    }
}
