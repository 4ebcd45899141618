package org.policyrouter.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/** Positional file I/O for the journal, safe against thread interrupts. */
final class JournalIo {
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws IOException;
    }

    private JournalIo() {
    }

    /**
     * Runs journal I/O with the thread's interrupt flag cleared (and set again after): an
     * interrupt during FileChannel I/O closes the channel, which every other thread shares.
     */
    static void uninterruptibly(IoAction action) throws IOException {
        uninterruptibly(() -> {
            action.run();
            return null;
        });
    }

    static <T> T uninterruptibly(IoSupplier<T> action) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return action.get();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Up to {@code length} bytes at {@code position}: fewer when the file ends first. */
    static byte[] readRange(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) >= 0) {
            // until the range is read or the file ends
        }
        return buffer.position() == length ? buffer.array() : Arrays.copyOf(buffer.array(), buffer.position());
    }

    static void writeFully(FileChannel channel, byte[] bytes, long position) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer, position + buffer.position());
        }
    }

    static void writeZeros(FileChannel channel, long from, long to) throws IOException {
        byte[] zeros = new byte[64 * 1024];
        for (long position = from; position < to; position += zeros.length) {
            ByteBuffer buffer = ByteBuffer.wrap(zeros, 0, (int) Math.min(zeros.length, to - position));
            while (buffer.hasRemaining()) {
                channel.write(buffer, position + buffer.position());
            }
        }
    }
}
