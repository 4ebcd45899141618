package org.policyrouter.it.spool;

/** Static-initializer friendly {@link NextHop#down()}. */
final class NextHopOrFail {
    private NextHopOrFail() {
    }

    static NextHop down() {
        try {
            return NextHop.down();
        } catch (Exception e) {
            throw new IllegalStateException("no free port for a next hop", e);
        }
    }
}
