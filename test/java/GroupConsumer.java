import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A long-running member of a classic consumer group, driven through stdin by the group
 * integration tests (test/integration/groups-*.test.ts). At-least-once: every record is printed
 * (= processed) before its offset is committed with commitSync; auto-commit is off.
 *
 * Usage: GroupConsumer <bootstrap> <topic> <group> <client.id> <range|roundrobin|sticky|cooperative-sticky> [consumer.prop=value ...]
 *        GroupConsumer --classpath      (prints the classpath and log4j2 config of this JVM, for the harness)
 *
 * Commands on stdin, one per line: start (subscribe and poll), pause (pause every assigned
 * partition, keep heartbeating), resume, stop (close = LeaveGroup, exit 0). EOF on stdin = stop.
 *
 * Output on stdout, one event per line, flushed:
 *   READY                                       the JVM is up and waits for "start"
 *   ASSIGNMENT gen=<g> member=<id> parts=<p,p>  whenever generation, member id or assignment change
 *   ASSIGNED <p,p> / REVOKED <p,p> / LOST <p,p> rebalance listener callbacks
 *   R <partition> <offset> <value>              one processed record
 *   COMMITTED <p>:<next offset>,...             after a successful commitSync
 *   COMMIT_FAILED <exception>                   a failed commit (its offsets are retried while owned)
 *   PAUSED / RESUMED                            after pause/resume took effect
 *   CLOSED                                      after close() returned
 * Partitions are printed sorted by number, comma-separated ("-" for none).
 */
public class GroupConsumer {
    static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String parts(Collection<TopicPartition> tps) {
        List<Integer> ps = new ArrayList<>();
        for (TopicPartition tp : tps) ps.add(tp.partition());
        ps.sort(null);
        if (ps.isEmpty()) return "-";
        StringBuilder sb = new StringBuilder();
        for (int p : ps) {
            if (sb.length() > 0) sb.append(',');
            sb.append(p);
        }
        return sb.toString();
    }

    static String assignorClass(String name) {
        switch (name) {
            case "range": return RangeAssignor.class.getName();
            case "roundrobin": return RoundRobinAssignor.class.getName();
            case "sticky": return StickyAssignor.class.getName();
            case "cooperative-sticky": return CooperativeStickyAssignor.class.getName();
            default: throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--classpath")) {
            System.out.println(System.getProperty("java.class.path"));
            System.out.println(System.getProperty("log4j2.configurationFile", ""));
            return;
        }
        if (args.length < 5) {
            System.err.println("usage: GroupConsumer <bootstrap> <topic> <group> <client.id> <assignor> [k=v ...]");
            System.exit(2);
        }
        String topic = args[1];
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, args[2]);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, args[3]);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignorClass(args[4]));
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "20000");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        for (int i = 5; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("not k=v: " + args[i]);
            props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
        Thread stdin = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!line.isBlank()) commands.add(line.trim());
                }
            } catch (Exception e) {
                // treat like EOF
            }
            commands.add("stop");
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();

        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        // processed but not yet committed: partition -> next offset
        Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
        boolean[] paused = { false };

        ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                out("REVOKED " + parts(revoked));
                Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
                for (TopicPartition tp : revoked) {
                    OffsetAndMetadata om = pending.get(tp);
                    if (om != null) toCommit.put(tp, om);
                }
                commit(consumer, toCommit, pending);
                for (TopicPartition tp : revoked) pending.remove(tp);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                out("ASSIGNED " + parts(assigned));
                if (paused[0]) consumer.pause(assigned);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> lost) {
                out("LOST " + parts(lost));
                for (TopicPartition tp : lost) pending.remove(tp);
            }
        };

        out("READY");
        while (true) {
            String c = commands.poll();
            if (c == null) {
                Thread.sleep(20);
                continue;
            }
            if (c.equals("start")) break;
            if (c.equals("stop")) {
                consumer.close();
                out("CLOSED");
                return;
            }
        }
        consumer.subscribe(List.of(topic), listener);

        String lastAssignment = "";
        boolean running = true;
        while (running) {
            ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
            for (ConsumerRecord<String, String> rec : records) {
                out("R " + rec.partition() + " " + rec.offset() + " " + rec.value());
                pending.put(new TopicPartition(rec.topic(), rec.partition()), new OffsetAndMetadata(rec.offset() + 1));
            }
            if (!pending.isEmpty()) {
                Set<TopicPartition> owned = consumer.assignment();
                pending.keySet().retainAll(owned);
                commit(consumer, new HashMap<>(pending), pending);
            }
            String a = "gen=" + consumer.groupMetadata().generationId() + " member=" + consumer.groupMetadata().memberId()
                    + " parts=" + parts(consumer.assignment());
            if (!a.equals(lastAssignment)) {
                out("ASSIGNMENT " + a);
                lastAssignment = a;
            }
            String c;
            while ((c = commands.poll()) != null) {
                switch (c) {
                    case "pause":
                        paused[0] = true;
                        consumer.pause(consumer.assignment());
                        out("PAUSED");
                        break;
                    case "resume":
                        paused[0] = false;
                        consumer.resume(consumer.paused());
                        out("RESUMED");
                        break;
                    case "stop":
                        running = false;
                        break;
                    default:
                        out("UNKNOWN_COMMAND " + c);
                }
            }
        }
        consumer.close();
        out("CLOSED");
    }

    /** commitSync(offsets); on success prints COMMITTED and removes them from pending. */
    static void commit(KafkaConsumer<String, String> consumer, Map<TopicPartition, OffsetAndMetadata> offsets,
            Map<TopicPartition, OffsetAndMetadata> pending) {
        if (offsets.isEmpty()) return;
        try {
            consumer.commitSync(offsets);
        } catch (Exception e) {
            out("COMMIT_FAILED " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
            return;
        }
        TreeMap<Integer, Long> sorted = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
            sorted.put(e.getKey().partition(), e.getValue().offset());
            // only drop what was committed; a newer pending offset for the partition stays
            if (pending.get(e.getKey()) == e.getValue()) pending.remove(e.getKey());
        }
        StringBuilder sb = new StringBuilder("COMMITTED ");
        boolean first = true;
        for (Map.Entry<Integer, Long> e : sorted.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            sb.append(e.getKey()).append(':').append(e.getValue());
        }
        out(sb.toString());
    }
}
