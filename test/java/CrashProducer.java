import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces records with sequence numbers for a crash test: the broker is killed (kill -9) and
 * restarted while this runs. Default producer settings (idempotent, acks=all) plus a large
 * delivery timeout so the producer keeps retrying while the broker is down.
 *
 * Record i goes to partition i % partitions with value "seq-<i>" (so per partition the values
 * are increasing). Each acknowledged record is written to the ack file as one line
 * "ack <partition> <offset> <value>" (flushed at once, so the test can watch progress); each
 * failed record as "fail <partition> <value> <exception>". At most `maxInFlight` records are
 * unacknowledged at any time; the sender sends at about `ratePerSec` records per second.
 *
 * Stops sending when the stop file exists, then flushes (waits for every outstanding record),
 * closes and prints "DONE sent=<n> acked=<n> failed=<n>" to stdout. Exit code 0 unless the
 * program itself broke.
 *
 * Usage: CrashProducer <bootstrap> <topic> <partitions> <ackFile> <stopFile> [ratePerSec=2000] [maxInFlight=2000]
 */
public class CrashProducer {
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: CrashProducer <bootstrap> <topic> <partitions> <ackFile> <stopFile> [ratePerSec] [maxInFlight]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        int partitions = Integer.parseInt(args[2]);
        Path ackFile = Path.of(args[3]);
        Path stopFile = Path.of(args[4]);
        int ratePerSec = args.length > 5 ? Integer.parseInt(args[5]) : 2000;
        int maxInFlight = args.length > 6 ? Integer.parseInt(args[6]) : 2000;

        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // Keep retrying across broker restarts (a Kafka JVM restart takes several seconds).
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "600000");
        pp.put(ProducerConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        pp.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        pp.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        pp.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");

        Semaphore window = new Semaphore(maxInFlight);
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long sent = 0;
        final BufferedWriter out = new BufferedWriter(new FileWriter(ackFile.toFile(), StandardCharsets.UTF_8));
        final Object outLock = new Object();
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            while (!Files.exists(stopFile)) {
                // pace: record `sent` is due at t0 + sent / rate
                long dueNs = t0 + sent * 1_000_000_000L / ratePerSec;
                long waitNs = dueNs - System.nanoTime();
                if (waitNs > 0) {
                    Thread.sleep(waitNs / 1_000_000, (int) (waitNs % 1_000_000));
                    continue;
                }
                if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    // broker down: do not build an ever-growing backlog; re-check the stop file
                    t0 = System.nanoTime() - sent * 1_000_000_000L / ratePerSec;
                    continue;
                }
                final long seq = sent;
                final int partition = (int) (seq % partitions);
                final String value = "seq-" + seq;
                producer.send(new ProducerRecord<>(topic, partition, null, value.getBytes(StandardCharsets.UTF_8)), (md, e) -> {
                    String line = e == null
                        ? "ack " + md.partition() + " " + md.offset() + " " + value
                        : "fail " + partition + " " + value + " " + e.toString().replace('\n', ' ');
                    synchronized (outLock) {
                        try {
                            out.write(line);
                            out.write('\n');
                            out.flush();
                        } catch (IOException io) {
                            throw new RuntimeException(io);
                        }
                    }
                    if (e == null) acked.incrementAndGet();
                    else failed.incrementAndGet();
                    window.release();
                });
                sent++;
            }
            producer.flush();
        }
        synchronized (outLock) {
            out.close();
        }
        System.out.println("DONE sent=" + sent + " acked=" + acked.get() + " failed=" + failed.get());
    }
}
