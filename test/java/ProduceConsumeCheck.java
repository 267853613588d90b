import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces N records with the Java producer's DEFAULT settings (idempotent, acks=all) with
 * distinct keys, values and two headers each to a 3-partition topic, then reads every partition
 * back with assign() + seekToBeginning and checks exact keys, values, headers, offsets and
 * per-partition order. Exits 0 and prints "OK ..." on success, exits 1 with a message otherwise.
 *
 * Usage: ProduceConsumeCheck <bootstrap> [records=100000] [topic=java-check-<millis>]
 */
public class ProduceConsumeCheck {
    static final int PARTITIONS = 3;

    static void fail(String msg) {
        System.err.println("FAIL: " + msg);
        System.exit(1);
    }

    static String key(int i) { return "key-" + i; }

    static String value(int i) {
        // distinct, and of varying length so batches are not uniform
        StringBuilder sb = new StringBuilder("value-").append(i).append('-');
        for (int j = 0; j < i % 37; j++) sb.append((char) ('a' + (i + j) % 26));
        return sb.toString();
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) fail("usage: ProduceConsumeCheck <bootstrap> [records] [topic]");
        String bootstrap = args[0];
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        String topic = args.length > 2 ? args[2] : "java-check-" + System.currentTimeMillis();
        long t0 = System.nanoTime();

        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }

        // ---- produce (default producer settings apart from the serializers) ----
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        // The default (key-hash) partitioner picks the partition; the acknowledged metadata tells
        // where each record went. Per partition, offsets must be 0,1,2,... in send order.
        Map<Integer, List<Integer>> expected = new HashMap<>(); // partition -> record index per offset
        for (int p = 0; p < PARTITIONS; p++) expected.put(p, new ArrayList<>());
        List<Future<RecordMetadata>> futures = new ArrayList<>(n);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            for (int i = 0; i < n; i++) {
                List<Header> headers = List.of(
                    new RecordHeader("h-index", utf8(Integer.toString(i))),
                    new RecordHeader("h-kind", utf8(i % 2 == 0 ? "even" : "odd")));
                futures.add(producer.send(new ProducerRecord<>(topic, null, utf8(key(i)), utf8(value(i)), headers)));
            }
            producer.flush();
            for (int i = 0; i < n; i++) {
                RecordMetadata md;
                try {
                    md = futures.get(i).get();
                } catch (ExecutionException e) {
                    fail("send of record " + i + " failed: " + e.getCause());
                    return;
                }
                List<Integer> seq = expected.get(md.partition());
                if (seq == null) fail("record " + i + " went to partition " + md.partition());
                if (md.offset() != seq.size()) {
                    fail("record " + i + " got offset " + md.offset() + " in partition " + md.partition() + ", expected " + seq.size());
                }
                seq.add(i);
            }
        }
        if (n >= 100) {
            for (int p = 0; p < PARTITIONS; p++) {
                if (expected.get(p).isEmpty()) fail("no record went to partition " + p);
            }
        }
        long t1 = System.nanoTime();

        // ---- consume each partition from the beginning, without a group ----
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        int total = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) tps.add(new TopicPartition(topic, p));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<Integer, Integer> next = new HashMap<>(); // partition -> index into expected list
            for (int p = 0; p < PARTITIONS; p++) next.put(p, 0);
            long deadline = System.currentTimeMillis() + 120_000;
            while (total < n) {
                if (System.currentTimeMillis() > deadline) fail("timed out consuming: got " + total + " of " + n + " records, positions " + next);
                ConsumerRecords<byte[], byte[]> recs = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : recs) {
                    int p = r.partition();
                    int pos = next.get(p);
                    List<Integer> seq = expected.get(p);
                    if (pos >= seq.size()) fail("extra record in partition " + p + " at offset " + r.offset());
                    int i = seq.get(pos);
                    String where = "partition " + p + " offset " + r.offset() + " (record " + i + ")";
                    if (r.offset() != pos) fail(where + ": expected offset " + pos);
                    if (!Arrays.equals(r.key(), utf8(key(i)))) fail(where + ": key " + str(r.key()) + " != " + key(i));
                    if (!Arrays.equals(r.value(), utf8(value(i)))) fail(where + ": value " + str(r.value()) + " != " + value(i));
                    Header[] hs = r.headers().toArray();
                    if (hs.length != 2) fail(where + ": " + hs.length + " headers");
                    if (!hs[0].key().equals("h-index") || !Arrays.equals(hs[0].value(), utf8(Integer.toString(i)))) {
                        fail(where + ": header 0 " + hs[0].key() + "=" + str(hs[0].value()));
                    }
                    if (!hs[1].key().equals("h-kind") || !Arrays.equals(hs[1].value(), utf8(i % 2 == 0 ? "even" : "odd"))) {
                        fail(where + ": header 1 " + hs[1].key() + "=" + str(hs[1].value()));
                    }
                    if (r.timestamp() <= 0) fail(where + ": timestamp " + r.timestamp());
                    next.put(p, pos + 1);
                    total++;
                }
            }
            // nothing beyond the expected records
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
            for (TopicPartition tp : tps) {
                long end = ends.get(tp);
                if (end != expected.get(tp.partition()).size()) fail("end offset of " + tp + " is " + end + ", expected " + expected.get(tp.partition()).size());
            }
        }
        long t2 = System.nanoTime();
        System.out.printf("OK topic=%s records=%d produceMs=%d consumeMs=%d%n", topic, n, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
    }

    static String str(byte[] b) { return b == null ? "null" : new String(b, StandardCharsets.UTF_8); }
}
