import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Calls initTransactions() on a transactional producer and reports how it ended, on one line:
 * "INITIALIZED" (the broker has a transaction coordinator), or "FAILED <exception class>: <message>"
 * (the exception initTransactions() threw, with its causes' messages). Exits 0 in both cases, so
 * the caller decides which outcome is right; exits 1 on bad usage.
 *
 * Usage: TransactionalInit <bootstrap> <transactional.id> [max.block.ms=60000]
 */
public class TransactionalInit {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: TransactionalInit <bootstrap> <transactional.id> [max.block.ms]");
            System.exit(1);
        }
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, args[1]);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, args.length > 2 ? args[2] : "60000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            System.out.println("INITIALIZED");
        } catch (RuntimeException e) {
            StringBuilder line = new StringBuilder("FAILED ").append(e.getClass().getName()).append(": ").append(e.getMessage());
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                line.append(" | caused by ").append(cause.getClass().getName()).append(": ").append(cause.getMessage());
            }
            System.out.println(line);
        }
        System.out.flush();
    }
}
