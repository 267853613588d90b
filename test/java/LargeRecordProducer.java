import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends one record whose value is <valueBytes> zero bytes, compressed with <compression>, with the
 * client limits (max.request.size, buffer.memory) raised so that only the broker can refuse it.
 * Prints one line: "SENT <partition>:<offset>" or "FAILED <exception class>: <message>" (the
 * cause send() reported). Exits 0 in both cases; 1 on bad usage.
 *
 * Usage: LargeRecordProducer <bootstrap> <topic> <valueBytes> <compression>
 */
public class LargeRecordProducer {
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 4) {
            System.err.println("usage: LargeRecordProducer <bootstrap> <topic> <valueBytes> <compression>");
            System.exit(1);
        }
        int valueBytes = Integer.parseInt(args[2]);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[3]);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(valueBytes + (1 << 20)));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString((long) valueBytes + (1 << 20)));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            RecordMetadata sent = producer.send(new ProducerRecord<>(args[1], 0, null, new byte[valueBytes])).get();
            System.out.println("SENT " + sent.partition() + ":" + sent.offset());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            System.out.println("FAILED " + cause.getClass().getName() + ": " + cause.getMessage());
        }
        System.out.flush();
    }
}
